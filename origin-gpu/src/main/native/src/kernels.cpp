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

// R input rows against one weight row, sharing every weight load. Two accumulators per row (even and odd
// 8-float blocks) halve the FMA latency chain; R <= 4 keeps 2R accumulators in the 16 AVX registers. Every R
// sums in the same order, so a row's result does not depend on which rows share its step.
template <int R>
inline void dot_block(const float* w, const float* x, int in, float* out) {
    v8 a0[R], a1[R];
    for (int r = 0; r < R; r++) a0[r] = a1[r] = v8{};
    int i = 0;
    for (; i + 16 <= in; i += 16) {
        v8 w0 = load8(w + i), w1 = load8(w + i + 8);
        for (int r = 0; r < R; r++) {
            a0[r] += w0 * load8(x + (int64_t)r * in + i);
            a1[r] += w1 * load8(x + (int64_t)r * in + i + 8);
        }
    }
    if (i + 8 <= in) {
        v8 w0 = load8(w + i);
        for (int r = 0; r < R; r++) a0[r] += w0 * load8(x + (int64_t)r * in + i);
        i += 8;
    }
    for (int r = 0; r < R; r++) {
        float s = hsum(a0[r] + a1[r]);
        for (int j = i; j < in; j++) s += w[j] * x[(int64_t)r * in + j];
        out[r] = s;
    }
}

}  // namespace

// "arch=x86-64-v3" (AVX2, FMA, …), not "arch=haswell": GCC dispatches an arch=<cpu> clone by CPU model, so an
// AMD EPYC would get the baseline; an ISA level is dispatched by features. flatten inlines the helpers into
// each clone (they would otherwise be called in their baseline form).
__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
void matmul_rows(const float* w, const float* x, int rows, int in, float* out, int outDim, int64_t o0, int64_t o1) {
    float tmp[4];
    for (int64_t o = o0; o < o1; o++) {
        const float* wr = w + o * in;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            dot_block<4>(wr, x + (int64_t)r * in, in, tmp);
            for (int j = 0; j < 4; j++) out[(int64_t)(r + j) * outDim + o] = tmp[j];
        }
        for (; r < rows; r++) {
            dot_block<1>(wr, x + (int64_t)r * in, in, tmp);
            out[(int64_t)r * outDim + o] = tmp[0];
        }
    }
}

__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
float dot(const float* a, const float* b, int n) {
    float out;
    dot_block<1>(a, b, n, &out);
    return out;
}

void axpy(float s, const float* v, float* out, int n) {
    for (int i = 0; i < n; i++) out[i] += s * v[i];
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

void softmax(float* x, int n) {
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

void swiglu(const float* gate, const float* up, float* out, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = (float)(g / (1.0 + std::exp(-(double)g))) * up[i];
    }
}

}  // namespace yj
