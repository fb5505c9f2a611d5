// The CPU backend: the JavaReferenceEngine's forward pass in fp32 over a batch of rows. Linear weights are
// repacked once at load into 16-feature panels in a huge-page arena (packed.h); matrix products run on the
// thread pool split by panel, each weight loaded once for every row of the step; attention runs in parallel
// over (row, head). Norms, the embedding and biases are read in place from the model mapping.
#include "engine.h"
#include "kernels.h"
#include "packed.h"
#include "thread_pool.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace yj {

namespace {

struct CpuSequence : Sequence {
    std::vector<float> keys, values;  // [layer][position][kvDim]
};

class CpuBackend : public Backend {
public:
    CpuBackend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w, int threads)
        : c_(std::move(c)), w_(std::move(w)), arena_(arena_floats(*c_)), pool_(threads) {
        const Config& k = *c_;
        for (const LayerWeights& lw : w_->layers) {
            PackedLayer p;
            p.wq = arena_.pack(lw.wq, k.qDim(), k.hidden);
            p.wk = arena_.pack(lw.wk, k.kvDim(), k.hidden);
            p.wv = arena_.pack(lw.wv, k.kvDim(), k.hidden);
            p.wo = arena_.pack(lw.wo, k.hidden, k.qDim());
            p.wGate = arena_.pack(lw.wGate, k.intermediate, k.hidden);
            p.wUp = arena_.pack(lw.wUp, k.intermediate, k.hidden);
            p.wDown = arena_.pack(lw.wDown, k.hidden, k.intermediate);
            packed_.push_back(p);
        }
        lmHead_ = arena_.pack(w_->lmHead, k.vocab, k.hidden);
        // The row-major matrices are not read again: an fp16/bf16 checkpoint's widened copies are freed, so
        // only the packed copy stays resident.
        for (LayerWeights& lw : w_->layers) {
            for (const float** m : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.wGate, &lw.wUp, &lw.wDown}) {
                w_->release_matrix(*m);
                *m = nullptr;
            }
        }
        w_->release_matrix(w_->lmHead);
        w_->lmHead = nullptr;
    }

    const char* name() const override { return "cpu"; }

    Sequence* new_sequence(int capacity) override {
        auto s = new CpuSequence();
        s->capacity = capacity;
        size_t n = (size_t)c_->layers * capacity * c_->kvDim();
        s->keys.assign(n, 0.f);
        s->values.assign(n, 0.f);
        return s;
    }

    Sequence* fork(const Sequence* src, int length, int capacity) override {
        auto* from = static_cast<const CpuSequence*>(src);
        auto* s = static_cast<CpuSequence*>(new_sequence(capacity));
        const size_t n = (size_t)length * c_->kvDim();
        for (int l = 0; l < c_->layers; l++) {
            std::memcpy(&s->keys[(size_t)l * capacity * c_->kvDim()], &from->keys[(size_t)l * from->capacity * c_->kvDim()], sizeof(float) * n);
            std::memcpy(&s->values[(size_t)l * capacity * c_->kvDim()], &from->values[(size_t)l * from->capacity * c_->kvDim()], sizeof(float) * n);
        }
        s->length = length;
        return s;
    }

    void forward(Sequence* const* seqs, const int* tokens, int rows, const int* logitRows, int nLogits,
                 float* logits) override;

private:
    struct PackedLayer {
        PackedMatrix wq, wk, wv, wo, wGate, wUp, wDown;
    };

    static size_t arena_floats(const Config& c) {
        const size_t perLayer = PackedArena::floats_for(c.qDim(), c.hidden) + 2 * PackedArena::floats_for(c.kvDim(), c.hidden)
                                + PackedArena::floats_for(c.hidden, c.qDim())
                                + 2 * PackedArena::floats_for(c.intermediate, c.hidden)
                                + PackedArena::floats_for(c.hidden, c.intermediate);
        return perLayer * c.layers + PackedArena::floats_for(c.vocab, c.hidden);
    }

    // Output features [p0 * kPanel, p1 * kPanel) clipped to outDim.
    static std::pair<int64_t, int64_t> features(const PackedMatrix& m, int64_t p0, int64_t p1) {
        return {p0 * kPanel, std::min<int64_t>(p1 * kPanel, m.outDim)};
    }

    struct Projection {
        const PackedMatrix& w;
        const float* bias;  // may be null
        float* out;         // [rows][outDim]
    };

    // Several projections of the same input in one parallel loop over their panels (one barrier instead of
    // one each).
    void project(std::initializer_list<Projection> ps, const float* x, int rows) {
        int64_t total = 0;
        for (const auto& p : ps) total += p.w.panels();
        pool_.parallel_for(total, [&](int64_t b, int64_t e) {
            int64_t base = 0;
            for (const auto& p : ps) {
                int64_t lo = std::max(b, base) - base, hi = std::min(e, base + p.w.panels()) - base;
                base += p.w.panels();
                if (lo >= hi) continue;
                matmul_packed(p.w, x, rows, p.out, lo, hi);
                if (p.bias) {
                    auto [o0, o1] = features(p.w, lo, hi);
                    for (int r = 0; r < rows; r++)
                        for (int64_t o = o0; o < o1; o++) p.out[(int64_t)r * p.w.outDim + o] += p.bias[o];
                }
            }
        });
    }

    // acc[r] += w · x[r]: a projection followed by the residual add, in one parallel loop.
    void project_add(const PackedMatrix& w, const float* x, int rows, float* scratch, float* acc) {
        const int outDim = w.outDim;
        pool_.parallel_for(w.panels(), [&](int64_t p0, int64_t p1) {
            matmul_packed(w, x, rows, scratch, p0, p1);
            auto [o0, o1] = features(w, p0, p1);
            for (int r = 0; r < rows; r++)
                for (int64_t o = o0; o < o1; o++) acc[(int64_t)r * outDim + o] += scratch[(int64_t)r * outDim + o];
        });
    }

    std::unique_ptr<Config> c_;
    std::unique_ptr<Weights> w_;
    PackedArena arena_;
    std::vector<PackedLayer> packed_;
    PackedMatrix lmHead_;
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
        const PackedLayer& pw = packed_[l];
        for (int r = 0; r < rows; r++) rms_norm(&x_[(size_t)r * H], lw.inputNorm, c.eps, &xn_[(size_t)r * H], H);
        project({{pw.wq, lw.bq, q_.data()}, {pw.wk, lw.bk, k_.data()}, {pw.wv, lw.bv, v_.data()}}, xn_.data(), rows);
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
                attend(qh, keys, vals, KV, visible, d, scale, &scores_[(size_t)rh * maxVisible], &attn_[(size_t)r * Q + h * d]);
            }
        });
        project_add(pw.wo, attn_.data(), rows, proj_.data(), x_.data());
        for (int r = 0; r < rows; r++) rms_norm(&x_[(size_t)r * H], lw.postNorm, c.eps, &xn_[(size_t)r * H], H);
        pool_.parallel_for(pw.wGate.panels(), [&](int64_t p0, int64_t p1) {
            matmul_packed(pw.wGate, xn_.data(), rows, gate_.data(), p0, p1);
            matmul_packed(pw.wUp, xn_.data(), rows, up_.data(), p0, p1);
            auto [o0, o1] = features(pw.wGate, p0, p1);
            for (int r = 0; r < rows; r++)
                swiglu(&gate_[(size_t)r * I + o0], &up_[(size_t)r * I + o0], &gate_[(size_t)r * I + o0], (int)(o1 - o0));
        });
        project_add(pw.wDown, gate_.data(), rows, proj_.data(), x_.data());
    }
    for (int j = 0; j < nLogits; j++) {
        rms_norm(&x_[(size_t)logitRows[j] * H], w_->norm, c.eps, &xn_[(size_t)j * H], H);
    }
    if (nLogits > 0) project({{lmHead_, nullptr, logits}}, xn_.data(), nLogits);
    for (int r = 0; r < rows; r++) seqs[r]->length++;
}

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w, int threads) {
    return std::make_unique<CpuBackend>(std::move(c), std::move(w), threads);
}

}  // namespace yj
