#include "kernels.h"

#include <cmath>
#include <cstring>

namespace yj {

namespace {

typedef float v8 __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
    v8 v;
    std::memcpy(&v, p, sizeof v);  // unaligned load: mmapped tensors need not be 32-byte aligned
    return v;
}

inline float hsum(v8 v) {
    float s = 0;
    for (int i = 0; i < 8; i++) s += v[i];
    return s;
}

// The dot product of attention scores: 8 lanes in sequence, then the lanes, then the tail.
inline float dot8(const float* a, const float* b, int n) {
    v8 acc = v8{};
    int i = 0;
    for (; i + 8 <= n; i += 8) acc += load8(a + i) * load8(b + i);
    float s = hsum(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

// Shifted by the maximum; exp and the sum in double, as the Java reference.
inline void softmax_in_place(float* x, int n) {
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double e = std::exp((double)(x[i] - max));
        x[i] = (float)e;
        sum += e;
    }
    for (int i = 0; i < n; i++) x[i] = (float)(x[i] / sum);
}

}  // namespace

// "arch=x86-64-v3" (AVX2, FMA, …), not "arch=haswell": GCC dispatches an arch=<cpu> clone by CPU model, so an
// AMD EPYC would get the baseline; an ISA level is dispatched by features. flatten inlines the helpers into
// each clone (they would otherwise be called in their baseline form). One call per head, not two dispatched
// calls per position (score, then value).
__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
void attend(const float* q, const float* keys, const float* values, int64_t stride, int n, int d, float scale,
            float* __restrict scores, float* __restrict out) {
    for (int t = 0; t < n; t++) scores[t] = dot8(q, keys + (size_t)t * stride, d) * scale;
    softmax_in_place(scores, n);
    for (int i = 0; i < d; i++) out[i] = 0.f;
    for (int t = 0; t < n; t++) {
        const float s = scores[t];
        const float* v = values + (size_t)t * stride;
        for (int i = 0; i < d; i++) out[i] += s * v[i];
    }
}

void rms_norm(const float* x, const float* weight, float eps, float* out, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)x[i] * x[i];
    float scale = (float)(1.0 / std::sqrt(sum / n + eps));
    for (int i = 0; i < n; i++) out[i] = weight[i] * (x[i] * scale);
}

void rope(float* x, int headDim, const float* cos, const float* sin) {
    int half = headDim / 2;
    for (int i = 0; i < half; i++) {
        float a = x[i], b = x[i + half];
        x[i] = a * cos[i] - b * sin[i];
        x[i + half] = b * cos[i] + a * sin[i];
    }
}

void swiglu(const float* gate, const float* up, float* out, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = (float)(g / (1.0 + std::exp(-(double)g))) * up[i];
    }
}

}  // namespace yj
