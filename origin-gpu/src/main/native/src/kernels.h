// fp32 kernels of the CPU backend; the matrix product is in packed.h. attend is compiled twice (AVX2+FMA and the
// x86-64-v2 baseline) and picked at load time by the CPU's features (GCC target_clones), so one library runs
// anywhere.
#pragma once

#include <cstdint>

namespace yj {

// One attention head over positions [0, n): scores[t] = (q · keys[t]) * scale, softmaxed in place, and
// out = Σ scores[t] * values[t]; keys[t] and values[t] are d floats at keys + t * stride, values + t * stride.
void attend(const float* q, const float* keys, const float* values, int64_t stride, int n, int d, float scale,
            float* scores, float* out);

// LlamaRMSNorm: out = x / sqrt(mean(x^2) + eps) * weight (sum of squares in double, as the Java reference).
void rms_norm(const float* x, const float* weight, float eps, float* out, int n);

// transformers' rotate_half RoPE on one head: i pairs with i + d/2.
void rope(float* x, int headDim, const float* cos, const float* sin);

// out[i] = silu(gate[i]) * up[i]
void swiglu(const float* gate, const float* up, float* out, int n);

}  // namespace yj
