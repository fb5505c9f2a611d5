// The CUDA backend: the CPU backend's forward pass with the weights copied once to GPU memory and every
// step's arithmetic in kernels on one stream. Batched decode: each warp computes one output feature for all
// rows of the step, so a weight row is read from GPU memory once per step. Compiled only when nvcc exists
// (CMakeLists.txt); selected at run time only when a device is present (EngineSelector.java).
#include "engine.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace yj {

namespace {

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw EngineError(std::string("cuda: ") + what + ": " + cudaGetErrorString(e));
}

template <typename T>
struct DeviceBuffer {
    T* p = nullptr;
    size_t n = 0;
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    ~DeviceBuffer() {
        if (p) cudaFree(p);
    }
    void ensure(size_t count) {
        if (count <= n) return;
        if (p) cudaFree(p);
        p = nullptr;
        n = 0;
        check(cudaMalloc(&p, count * sizeof(T)), "cudaMalloc");
        n = count;
    }
    void upload(const T* host, size_t count) {
        ensure(count);
        check(cudaMemcpy(p, host, count * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy to device");
    }
};

struct CudaSequence : Sequence {
    DeviceBuffer<float> keys, values;  // [layer][position][kvDim]
};

// ---- kernels -------------------------------------------------------------------------------------------

__global__ void embed_kernel(const float* embed, const int* tokens, float* x, int H) {
    int r = blockIdx.x;
    for (int i = threadIdx.x; i < H; i += blockDim.x) x[(size_t)r * H + i] = embed[(size_t)tokens[r] * H + i];
}

// One block per row; `rowIndex` (optional) gathers input rows, for the final norm of the logit rows.
__global__ void rms_norm_kernel(const float* x, const int* rowIndex, const float* w, float eps, float* out, int H) {
    int r = blockIdx.x;
    const float* xr = x + (size_t)(rowIndex ? rowIndex[r] : r) * H;
    __shared__ double partial[32];
    double s = 0;
    for (int i = threadIdx.x; i < H; i += blockDim.x) s += (double)xr[i] * xr[i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffff, s, o);
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0;
        for (int i = 0; i < (int)(blockDim.x >> 5); i++) t += partial[i];
        partial[0] = t;
    }
    __syncthreads();
    float scale = (float)(1.0 / sqrt(partial[0] / H + eps));
    for (int i = threadIdx.x; i < H; i += blockDim.x) out[(size_t)r * H + i] = w[i] * (xr[i] * scale);
}

constexpr int ROW_TILE = 8;

// out[r][o] = dot(w[o], x[r]) (+ bias[o]); one warp per output feature o, all rows in tiles of ROW_TILE.
__global__ void matmul_kernel(const float* w, const float* bias, const float* x, int rows, int in, float* out,
                              int outDim) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp >= outDim) return;
    const float* wr = w + (size_t)warp * in;
    for (int r0 = 0; r0 < rows; r0 += ROW_TILE) {
        int n = min(ROW_TILE, rows - r0);
        float acc[ROW_TILE];
#pragma unroll
        for (int j = 0; j < ROW_TILE; j++) acc[j] = 0.f;
        for (int i = lane; i < in; i += 32) {
            float wv = wr[i];
#pragma unroll
            for (int j = 0; j < ROW_TILE; j++)
                if (j < n) acc[j] += wv * x[(size_t)(r0 + j) * in + i];
        }
#pragma unroll
        for (int j = 0; j < ROW_TILE; j++) {
            float v = acc[j];
            for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
            if (lane == 0 && j < n) out[(size_t)(r0 + j) * outDim + warp] = v + (bias ? bias[warp] : 0.f);
        }
    }
}

// RoPE on q and k of every row, then k and v appended to each row's cache at its position.
__global__ void rope_store_kernel(float* q, float* k, const float* v, const int* pos, const float* invFreq,
                                  float* const* kcache, float* const* vcache, const int* capacity, int layer,
                                  int heads, int kvHeads, int d) {
    int r = blockIdx.x, half = d / 2;
    for (int idx = threadIdx.x; idx < (heads + kvHeads) * half; idx += blockDim.x) {
        int h = idx / half, i = idx % half;
        float angle = pos[r] * invFreq[i];  // float product, as the Java Rope
        float c = (float)cos((double)angle), s = (float)sin((double)angle);
        float* base = h < heads ? q + (size_t)r * heads * d + h * d : k + (size_t)r * kvHeads * d + (h - heads) * d;
        float a = base[i], b = base[i + half];
        base[i] = a * c - b * s;
        base[i + half] = b * c + a * s;
    }
    __syncthreads();
    int kv = kvHeads * d;
    size_t at = ((size_t)layer * capacity[r] + pos[r]) * kv;
    for (int i = threadIdx.x; i < kv; i += blockDim.x) {
        kcache[r][at + i] = k[(size_t)r * kv + i];
        vcache[r][at + i] = v[(size_t)r * kv + i];
    }
}

// One block per (row, head): scores over positions [0, pos], softmax, weighted sum of values.
__global__ void attention_kernel(const float* q, float* const* kcache, float* const* vcache, const int* capacity,
                                 const int* pos, float* scores, int maxVisible, float* out, int layer, int heads,
                                 int kvHeads, int d, float scale) {
    int r = blockIdx.x / heads, h = blockIdx.x % heads, visible = pos[r] + 1, kv = kvHeads * d;
    int kvh = h / (heads / kvHeads);
    const float* keys = kcache[r] + (size_t)layer * capacity[r] * kv + kvh * d;
    const float* vals = vcache[r] + (size_t)layer * capacity[r] * kv + kvh * d;
    const float* qh = q + (size_t)r * heads * d + h * d;
    float* sc = scores + (size_t)blockIdx.x * maxVisible;
    __shared__ float red[32];
    __shared__ float bcast;
    float localMax = -INFINITY;
    for (int t = threadIdx.x; t < visible; t += blockDim.x) {
        float dot = 0;
        for (int i = 0; i < d; i++) dot += qh[i] * keys[(size_t)t * kv + i];
        sc[t] = dot * scale;
        localMax = fmaxf(localMax, sc[t]);
    }
    for (int o = 16; o > 0; o >>= 1) localMax = fmaxf(localMax, __shfl_down_sync(0xffffffff, localMax, o));
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = localMax;
    __syncthreads();
    if (threadIdx.x == 0) {
        float m = -INFINITY;
        for (int i = 0; i < (int)(blockDim.x >> 5); i++) m = fmaxf(m, red[i]);
        bcast = m;
    }
    __syncthreads();
    float max = bcast, localSum = 0;
    for (int t = threadIdx.x; t < visible; t += blockDim.x) {
        float e = expf(sc[t] - max);
        sc[t] = e;
        localSum += e;
    }
    for (int o = 16; o > 0; o >>= 1) localSum += __shfl_down_sync(0xffffffff, localSum, o);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = localSum;
    __syncthreads();
    if (threadIdx.x == 0) {
        float s = 0;
        for (int i = 0; i < (int)(blockDim.x >> 5); i++) s += red[i];
        bcast = s;
    }
    __syncthreads();
    float inv = 1.f / bcast;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float acc = 0;
        for (int t = 0; t < visible; t++) acc += sc[t] * vals[(size_t)t * kv + i];
        out[(size_t)r * heads * d + h * d + i] = acc * inv;
    }
}

__global__ void add_kernel(float* acc, const float* x, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) acc[i] += x[i];
}

__global__ void swiglu_kernel(float* gate, const float* up, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float g = gate[i];
        gate[i] = g / (1.f + expf(-g)) * up[i];
    }
}

unsigned blocks(size_t n, unsigned per) { return (unsigned)((n + per - 1) / per); }

// ---- backend -------------------------------------------------------------------------------------------

struct DeviceLayer {
    DeviceBuffer<float> inputNorm, wq, wk, wv, wo, postNorm, wGate, wUp, wDown, bq, bk, bv;
};

class CudaBackend : public Backend {
public:
    CudaBackend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w) : c_(std::move(c)) {
        const Config& cf = *c_;
        size_t H = cf.hidden, Q = cf.qDim(), KV = cf.kvDim(), I = cf.intermediate, V = cf.vocab;
        embed_.upload(w->embed, V * H);
        for (int l = 0; l < cf.layers; l++) {
            const LayerWeights& s = w->layers[l];
            layers_.push_back(std::make_unique<DeviceLayer>());
            DeviceLayer& d = *layers_.back();
            d.inputNorm.upload(s.inputNorm, H);
            d.wq.upload(s.wq, Q * H);
            d.wk.upload(s.wk, KV * H);
            d.wv.upload(s.wv, KV * H);
            d.wo.upload(s.wo, H * Q);
            d.postNorm.upload(s.postNorm, H);
            d.wGate.upload(s.wGate, I * H);
            d.wUp.upload(s.wUp, I * H);
            d.wDown.upload(s.wDown, H * I);
            if (cf.qkvBias) {
                d.bq.upload(s.bq, Q);
                d.bk.upload(s.bk, KV);
                d.bv.upload(s.bv, KV);
            }
        }
        norm_.upload(w->norm, H);
        lmHead_.upload(w->lmHead, V * H);
        invFreq_.upload(cf.invFreq.data(), cf.invFreq.size());
        // The host weights (mapping or converted copies) are no longer needed: `w` is released on return.
    }

    const char* name() const override { return "cuda"; }

    Sequence* new_sequence(int capacity) override {
        auto s = std::make_unique<CudaSequence>();
        s->capacity = capacity;
        size_t n = (size_t)c_->layers * capacity * c_->kvDim();
        s->keys.ensure(n);
        s->values.ensure(n);
        return s.release();
    }

    Sequence* fork(const Sequence* src, int length, int capacity) override {
        auto* from = static_cast<const CudaSequence*>(src);
        std::unique_ptr<Sequence> s(new_sequence(capacity));
        auto* to = static_cast<CudaSequence*>(s.get());
        const size_t kv = c_->kvDim(), n = (size_t)length * kv * sizeof(float);
        for (int l = 0; l < c_->layers; l++) {
            check(cudaMemcpy(to->keys.p + (size_t)l * capacity * kv, from->keys.p + (size_t)l * from->capacity * kv, n,
                             cudaMemcpyDeviceToDevice), "cudaMemcpy fork keys");
            check(cudaMemcpy(to->values.p + (size_t)l * capacity * kv, from->values.p + (size_t)l * from->capacity * kv,
                             n, cudaMemcpyDeviceToDevice), "cudaMemcpy fork values");
        }
        s->length = length;
        return s.release();
    }

    void forward(Sequence* const* seqs, const int* tokens, int rows, const int* logitRows, int nLogits,
                 float* logits) override;

private:
    void matmul(const float* w, const float* bias, const float* x, int rows, int in, float* out, int outDim) {
        matmul_kernel<<<blocks((size_t)outDim * 32, 256), 256>>>(w, bias, x, rows, in, out, outDim);
    }

    std::unique_ptr<Config> c_;
    DeviceBuffer<float> embed_, norm_, lmHead_, invFreq_;
    std::vector<std::unique_ptr<DeviceLayer>> layers_;
    DeviceBuffer<float> x_, xn_, q_, k_, v_, attn_, proj_, gate_, up_, scores_, logits_;
    DeviceBuffer<int> tokens_, pos_, cap_, logitRows_;
    DeviceBuffer<float*> kc_, vc_;
};

void CudaBackend::forward(Sequence* const* seqs, const int* tokens, int rows, const int* logitRows, int nLogits,
                          float* logits) {
    const Config& c = *c_;
    const int H = c.hidden, Q = c.qDim(), KV = c.kvDim(), I = c.intermediate, d = c.headDim;
    std::vector<int> pos(rows), cap(rows);
    std::vector<float*> kc(rows), vc(rows);
    int maxVisible = 0;
    for (int r = 0; r < rows; r++) {
        int before = 0;
        for (int j = 0; j < r; j++) before += seqs[j] == seqs[r];
        pos[r] = seqs[r]->length + before;
        if (pos[r] >= seqs[r]->capacity) throw EngineError("sequence is full");
        if (tokens[r] < 0 || tokens[r] >= c.vocab) throw EngineError("token out of range");
        auto* s = static_cast<CudaSequence*>(seqs[r]);
        cap[r] = s->capacity;
        kc[r] = s->keys.p;
        vc[r] = s->values.p;
        maxVisible = std::max(maxVisible, pos[r] + 1);
    }
    tokens_.upload(tokens, rows);
    pos_.upload(pos.data(), rows);
    cap_.upload(cap.data(), rows);
    kc_.upload(kc.data(), rows);
    vc_.upload(vc.data(), rows);
    if (nLogits > 0) logitRows_.upload(logitRows, nLogits);
    x_.ensure((size_t)rows * H);
    xn_.ensure((size_t)rows * H);
    q_.ensure((size_t)rows * Q);
    k_.ensure((size_t)rows * KV);
    v_.ensure((size_t)rows * KV);
    attn_.ensure((size_t)rows * Q);
    proj_.ensure((size_t)rows * H);
    gate_.ensure((size_t)rows * I);
    up_.ensure((size_t)rows * I);
    scores_.ensure((size_t)rows * c.heads * maxVisible);
    logits_.ensure((size_t)std::max(nLogits, 1) * c.vocab);

    const float scale = (float)(1.0 / std::sqrt((double)d));
    embed_kernel<<<rows, 256>>>(embed_.p, tokens_.p, x_.p, H);
    for (int l = 0; l < c.layers; l++) {
        DeviceLayer& w = *layers_[l];
        rms_norm_kernel<<<rows, 256>>>(x_.p, nullptr, w.inputNorm.p, c.eps, xn_.p, H);
        matmul(w.wq.p, w.bq.p, xn_.p, rows, H, q_.p, Q);
        matmul(w.wk.p, w.bk.p, xn_.p, rows, H, k_.p, KV);
        matmul(w.wv.p, w.bv.p, xn_.p, rows, H, v_.p, KV);
        rope_store_kernel<<<rows, 128>>>(q_.p, k_.p, v_.p, pos_.p, invFreq_.p, kc_.p, vc_.p, cap_.p, l, c.heads,
                                         c.kvHeads, d);
        attention_kernel<<<rows * c.heads, 128>>>(q_.p, kc_.p, vc_.p, cap_.p, pos_.p, scores_.p, maxVisible,
                                                  attn_.p, l, c.heads, c.kvHeads, d, scale);
        matmul(w.wo.p, nullptr, attn_.p, rows, Q, proj_.p, H);
        add_kernel<<<blocks((size_t)rows * H, 256), 256>>>(x_.p, proj_.p, (size_t)rows * H);
        rms_norm_kernel<<<rows, 256>>>(x_.p, nullptr, w.postNorm.p, c.eps, xn_.p, H);
        matmul(w.wGate.p, nullptr, xn_.p, rows, H, gate_.p, I);
        matmul(w.wUp.p, nullptr, xn_.p, rows, H, up_.p, I);
        swiglu_kernel<<<blocks((size_t)rows * I, 256), 256>>>(gate_.p, up_.p, (size_t)rows * I);
        matmul(w.wDown.p, nullptr, gate_.p, rows, I, proj_.p, H);
        add_kernel<<<blocks((size_t)rows * H, 256), 256>>>(x_.p, proj_.p, (size_t)rows * H);
    }
    if (nLogits > 0) {
        rms_norm_kernel<<<nLogits, 256>>>(x_.p, logitRows_.p, norm_.p, c.eps, xn_.p, H);
        matmul(lmHead_.p, nullptr, xn_.p, nLogits, H, logits_.p, c.vocab);
    }
    check(cudaGetLastError(), "kernel launch");
    if (nLogits > 0) {
        check(cudaMemcpy(logits, logits_.p, (size_t)nLogits * c.vocab * sizeof(float), cudaMemcpyDeviceToHost),
              "cudaMemcpy logits");
    } else {
        check(cudaDeviceSynchronize(), "step");
    }
    for (int r = 0; r < rows; r++) seqs[r]->length++;
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w) {
    std::string why;
    if (cuda_device_count(&why) < 1) throw EngineError("cuda: " + why);
    return std::make_unique<CudaBackend>(std::move(c), std::move(w));
}

int cuda_device_count(std::string* why) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        // Without any driver cudart reports "insufficient driver": say what that means here.
        *why = e == cudaErrorInsufficientDriver
                ? "no CUDA driver, or one older than the CUDA " + std::to_string(CUDART_VERSION / 1000) + " runtime"
                : std::string("no usable CUDA device: ") + cudaGetErrorString(e);
        cudaGetLastError();  // clear the sticky error
        return 0;
    }
    if (n == 0) *why = "no CUDA device";
    return n;
}

void cuda_memory_info(int64_t* freeBytes, int64_t* totalBytes) {
    size_t f = 0, t = 0;
    cudaError_t e = cudaMemGetInfo(&f, &t);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky error
        throw EngineError(std::string("cudaMemGetInfo: ") + cudaGetErrorString(e));
    }
    *freeBytes = (int64_t)f;
    *totalBytes = (int64_t)t;
}

}  // namespace yj
