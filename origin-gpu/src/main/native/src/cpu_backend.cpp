// The CPU backend: the JavaReferenceEngine's forward pass in fp32 over a batch of rows. Matrix products run
// on the thread pool split by output feature, each weight row loaded once for every row of the step;
// attention runs in parallel over (row, head).
#include "engine.h"
#include "kernels.h"
#include "thread_pool.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace yj {

namespace {

struct CpuSequence : Sequence {
    std::vector<float> keys, values;  // [layer][position][kvDim]
};

class CpuBackend : public Backend {
public:
    CpuBackend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w, int threads)
        : c_(std::move(c)), w_(std::move(w)), pool_(threads) {}

    const char* name() const override { return "cpu"; }

    Sequence* new_sequence(int capacity) override {
        auto s = new CpuSequence();
        s->capacity = capacity;
        size_t n = (size_t)c_->layers * capacity * c_->kvDim();
        s->keys.assign(n, 0.f);
        s->values.assign(n, 0.f);
        return s;
    }

    void forward(Sequence* const* seqs, const int* tokens, int rows, const int* logitRows, int nLogits,
                 float* logits) override;

private:
    void matmul(const float* w, const float* bias, const float* x, int rows, int in, float* out, int outDim) {
        pool_.parallel_for(outDim, [&](int64_t o0, int64_t o1) {
            matmul_rows(w, x, rows, in, out, outDim, o0, o1);
            if (bias) {
                for (int r = 0; r < rows; r++)
                    for (int64_t o = o0; o < o1; o++) out[(int64_t)r * outDim + o] += bias[o];
            }
        });
    }

    std::unique_ptr<Config> c_;
    std::unique_ptr<Weights> w_;
    ThreadPool pool_;
    std::vector<float> x_, xn_, q_, k_, v_, attn_, proj_, gate_, up_, scores_, cos_, sin_;
};

void CpuBackend::forward(Sequence* const* seqs, const int* tokens, int rows, const int* logitRows, int nLogits,
                         float* logits) {
    const Config& c = *c_;
    const int H = c.hidden, Q = c.qDim(), KV = c.kvDim(), I = c.intermediate, d = c.headDim, half = d / 2;
    std::vector<int> pos(rows);
    for (int r = 0; r < rows; r++) {
        int before = 0;
        for (int j = 0; j < r; j++) before += seqs[j] == seqs[r];
        pos[r] = seqs[r]->length + before;
        if (pos[r] >= seqs[r]->capacity) throw EngineError("sequence is full: " + std::to_string(seqs[r]->capacity) + " tokens");
        if (tokens[r] < 0 || tokens[r] >= c.vocab) throw EngineError("token out of range: " + std::to_string(tokens[r]));
    }
    int maxVisible = 0;
    for (int r = 0; r < rows; r++) maxVisible = std::max(maxVisible, pos[r] + 1);
    x_.resize((size_t)rows * H);
    xn_.resize((size_t)rows * H);
    q_.resize((size_t)rows * Q);
    k_.resize((size_t)rows * KV);
    v_.resize((size_t)rows * KV);
    attn_.resize((size_t)rows * Q);
    proj_.resize((size_t)rows * H);
    gate_.resize((size_t)rows * I);
    up_.resize((size_t)rows * I);
    scores_.resize((size_t)rows * c.heads * maxVisible);
    cos_.resize((size_t)rows * half);
    sin_.resize((size_t)rows * half);
    for (int r = 0; r < rows; r++) {
        std::memcpy(&x_[(size_t)r * H], w_->embed + (int64_t)tokens[r] * H, sizeof(float) * H);
        for (int i = 0; i < half; i++) {
            float angle = pos[r] * c.invFreq[i];  // float product, as the Java Rope
            cos_[(size_t)r * half + i] = (float)std::cos((double)angle);
            sin_[(size_t)r * half + i] = (float)std::sin((double)angle);
        }
    }
    const float scale = (float)(1.0 / std::sqrt((double)d));
    const int group = c.heads / c.kvHeads;
    for (int l = 0; l < c.layers; l++) {
        const LayerWeights& lw = w_->layers[l];
        for (int r = 0; r < rows; r++) rms_norm(&x_[(size_t)r * H], lw.inputNorm, c.eps, &xn_[(size_t)r * H], H);
        matmul(lw.wq, lw.bq, xn_.data(), rows, H, q_.data(), Q);
        matmul(lw.wk, lw.bk, xn_.data(), rows, H, k_.data(), KV);
        matmul(lw.wv, lw.bv, xn_.data(), rows, H, v_.data(), KV);
        for (int r = 0; r < rows; r++) {
            auto* s = static_cast<CpuSequence*>(seqs[r]);
            for (int h = 0; h < c.heads; h++) rope(&q_[(size_t)r * Q + h * d], d, &cos_[(size_t)r * half], &sin_[(size_t)r * half]);
            for (int h = 0; h < c.kvHeads; h++) rope(&k_[(size_t)r * KV + h * d], d, &cos_[(size_t)r * half], &sin_[(size_t)r * half]);
            size_t at = ((size_t)l * s->capacity + pos[r]) * KV;
            std::memcpy(&s->keys[at], &k_[(size_t)r * KV], sizeof(float) * KV);
            std::memcpy(&s->values[at], &v_[(size_t)r * KV], sizeof(float) * KV);
        }
        // Every row's key/value is in its cache before any row attends; each row sees positions [0, pos].
        pool_.parallel_for((int64_t)rows * c.heads, [&](int64_t b, int64_t e) {
            for (int64_t rh = b; rh < e; rh++) {
                int r = (int)(rh / c.heads), h = (int)(rh % c.heads), visible = pos[r] + 1;
                auto* s = static_cast<CpuSequence*>(seqs[r]);
                const float* keys = &s->keys[(size_t)l * s->capacity * KV + (h / group) * d];
                const float* vals = &s->values[(size_t)l * s->capacity * KV + (h / group) * d];
                const float* qh = &q_[(size_t)r * Q + h * d];
                float* sc = &scores_[(size_t)rh * maxVisible];
                for (int t = 0; t < visible; t++) sc[t] = dot(qh, keys + (size_t)t * KV, d) * scale;
                softmax(sc, visible);
                float* out = &attn_[(size_t)r * Q + h * d];
                std::memset(out, 0, sizeof(float) * d);
                for (int t = 0; t < visible; t++) axpy(sc[t], vals + (size_t)t * KV, out, d);
            }
        });
        matmul(lw.wo, nullptr, attn_.data(), rows, Q, proj_.data(), H);
        for (size_t i = 0; i < (size_t)rows * H; i++) x_[i] += proj_[i];
        for (int r = 0; r < rows; r++) rms_norm(&x_[(size_t)r * H], lw.postNorm, c.eps, &xn_[(size_t)r * H], H);
        matmul(lw.wGate, nullptr, xn_.data(), rows, H, gate_.data(), I);
        matmul(lw.wUp, nullptr, xn_.data(), rows, H, up_.data(), I);
        swiglu(gate_.data(), up_.data(), gate_.data(), rows * I);
        matmul(lw.wDown, nullptr, gate_.data(), rows, I, proj_.data(), H);
        for (size_t i = 0; i < (size_t)rows * H; i++) x_[i] += proj_[i];
    }
    for (int j = 0; j < nLogits; j++) {
        rms_norm(&x_[(size_t)logitRows[j] * H], w_->norm, c.eps, &xn_[(size_t)j * H], H);
    }
    matmul(w_->lmHead, nullptr, xn_.data(), nLogits, H, logits, c.vocab);
    for (int r = 0; r < rows; r++) seqs[r]->length++;
}

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w, int threads) {
    return std::make_unique<CpuBackend>(std::move(c), std::move(w), threads);
}

}  // namespace yj
