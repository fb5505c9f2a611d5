// The model a native engine runs: its shape (checked in Java before it gets here) and its weights, either
// memory-mapped in place (fp32) or converted once at load (fp16, bf16) into owned fp32 buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace yj {

// An error with a message for the Java side; the JNI bridge turns it into an exception.
struct EngineError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Config {
    int hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions;
    float eps;
    bool qkvBias;
    std::vector<float> invFreq;  // RoPE inverse frequencies, computed by the Java Rope (same scaling rules)
    int qDim() const { return heads * headDim; }
    int kvDim() const { return kvHeads * headDim; }
};

enum class DType : int { F32 = 0, F16 = 1, BF16 = 2 };

// Where one tensor lies: file index, absolute byte offset, element type and count.
struct TensorSpec {
    int file;
    int64_t offset;
    DType dtype;
    int64_t elements;
};

struct LayerWeights {
    const float *inputNorm, *wq, *wk, *wv, *wo, *postNorm, *wGate, *wUp, *wDown;
    const float *bq = nullptr, *bk = nullptr, *bv = nullptr;
};

class MappedFile;

// Tensor order (the contract with NativeModel.java): embed, then per layer inputNorm, wq, wk, wv, wo,
// postNorm, gate, up, down [, bq, bk, bv when qkvBias], then norm, lmHead.
class Weights {
public:
    Weights(const Config& c, const std::vector<std::string>& files, const std::vector<TensorSpec>& tensors);
    ~Weights();

    const float* embed;
    std::vector<LayerWeights> layers;
    const float* norm;
    const float* lmHead;
    int64_t bytes() const { return bytes_; }  // fp32 bytes a step reads (lm_head counted once even if tied)
    // Frees the fp32 copy made at load for a widened (fp16/bf16) matrix once a backend holds its own copy;
    // tensors used in place from the mapping, and the embedding table, are kept. `w` must not be used after.
    void release_matrix(const float* w);

private:
    const float* resolve(const TensorSpec& t, const std::string& path);
    std::vector<std::unique_ptr<MappedFile>> maps_;
    std::vector<std::unique_ptr<float[]>> owned_;
    std::vector<std::pair<std::pair<int, int64_t>, const float*>> seen_;
    int64_t bytes_ = 0;
};

static inline size_t tensors_expected(const Config& c) { return 3 + (size_t)c.layers * (c.qkvBias ? 12 : 9); }

}  // namespace yj
