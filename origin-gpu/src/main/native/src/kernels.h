// fp32 kernels of the CPU backend; the matrix product is in packed.h. dot and axpy are compiled twice (AVX2+FMA
// and the x86-64-v2 baseline) and picked at load time by the CPU's features (GCC target_clones), so one library
// runs anywhere.
#pragma once

#include <cstdint>

namespace yj {

float dot(const float* a, const float* b, int n);

// out[i] += s * v[i]
void axpy(float s, const float* v, float* out, int n);

// LlamaRMSNorm: out = x / sqrt(mean(x^2) + eps) * weight (sum of squares in double, as the Java reference).
void rms_norm(const float* x, const float* weight, float eps, float* out, int n);

// transformers' rotate_half RoPE on one head: i pairs with i + d/2.
void rope(float* x, int headDim, const float* cos, const float* sin);

// In-place softmax over x[0..n), shifted by the maximum.
void softmax(float* x, int n);

// out[i] = silu(gate[i]) * up[i]
void swiglu(const float* gate, const float* up, float* out, int n);

}  // namespace yj
