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

// OT weight rows × RT input rows, one accumulator per pair: each weight load serves RT rows, each input load
// OT weight rows, and the OT·RT independent chains hide the FMA latency. Every pair sums its products in the
// same order (8 lanes in sequence, then the lanes, then the tail) whatever the tile, so a row's result does not
// depend on which rows share its step: batching is bit-exact.
template <int OT, int RT>
inline void dot_tile(const float* w, const float* x, int in, float* out, int64_t outDim) {
    v8 acc[OT][RT];
    for (int o = 0; o < OT; o++)
        for (int r = 0; r < RT; r++) acc[o][r] = v8{};
    int i = 0;
    for (; i + 8 <= in; i += 8) {
        v8 xv[RT];
        for (int r = 0; r < RT; r++) xv[r] = load8(x + (int64_t)r * in + i);
        for (int o = 0; o < OT; o++) {
            v8 wv = load8(w + (int64_t)o * in + i);
            for (int r = 0; r < RT; r++) acc[o][r] += wv * xv[r];
        }
    }
    for (int o = 0; o < OT; o++) {
        for (int r = 0; r < RT; r++) {
            float s = hsum(acc[o][r]);
            for (int j = i; j < in; j++) s += w[(int64_t)o * in + j] * x[(int64_t)r * in + j];
            out[(int64_t)r * outDim + o] = s;
        }
    }
}

// All rows against weight rows [o, o + OT).
template <int OT>
inline void dot_rows(const float* w, const float* x, int rows, int in, float* out, int64_t outDim) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) dot_tile<OT, 4>(w, x + (int64_t)r * in, in, out + (int64_t)r * outDim, outDim);
    for (; r < rows; r++) dot_tile<OT, 1>(w, x + (int64_t)r * in, in, out + (int64_t)r * outDim, outDim);
}

}  // namespace

// "arch=x86-64-v3" (AVX2, FMA, …), not "arch=haswell": GCC dispatches an arch=<cpu> clone by CPU model, so an
// AMD EPYC would get the baseline; an ISA level is dispatched by features. flatten inlines the helpers into
// each clone (they would otherwise be called in their baseline form).
__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
void matmul_rows(const float* w, const float* x, int rows, int in, float* out, int outDim, int64_t o0, int64_t o1) {
    int64_t o = o0;
    if (rows == 1) {  // decode of one sequence: four weight rows at a time for four independent chains
        for (; o + 4 <= o1; o += 4) dot_rows<4>(w + o * in, x, rows, in, out + o, outDim);
    }
    for (; o + 2 <= o1; o += 2) dot_rows<2>(w + o * in, x, rows, in, out + o, outDim);
    for (; o < o1; o++) dot_rows<1>(w + o * in, x, rows, in, out + o, outDim);
}

__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
float dot(const float* a, const float* b, int n) {
    float out;
    dot_tile<1, 1>(a, b, n, &out, 1);
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
