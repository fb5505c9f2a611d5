// The backend interface the JNI bridge drives. A step is a list of rows, each (sequence, token); rows of the
// same sequence are consecutive positions (a prefill chunk), a decode step has one row per sequence. Weights
// are read once per step for all rows.
#pragma once

#include "model.h"

#include <memory>
#include <mutex>

namespace yj {

// One sequence's key/value cache, owned natively; the backend that made it frees it.
struct Sequence {
    virtual ~Sequence() = default;
    int capacity = 0;
    int length = 0;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char* name() const = 0;
    virtual Sequence* new_sequence(int capacity) = 0;
    // A new sequence of `capacity` positions holding a copy of the first `length` positions of `src`
    // (prefix reuse: an agent's next turn resends the same growing prompt). The caller validated the sizes.
    virtual Sequence* fork(const Sequence* src, int length, int capacity) = 0;
    // Appends rows; writes logits (vocab floats each) for the rows listed in logitRows, in that order.
    // Sequence lengths advance only when the whole step succeeded.
    virtual void forward(Sequence* const* seqs, const int* tokens, int rows, const int* logitRows, int nLogits,
                         float* logits) = 0;
};

std::unique_ptr<Backend> make_cpu_backend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w, int threads);
#ifdef YJ_WITH_CUDA
std::unique_ptr<Backend> make_cuda_backend(std::unique_ptr<Config> c, std::unique_ptr<Weights> w);
int cuda_device_count(std::string* why);
// Free and total bytes of the current CUDA device (cudaMemGetInfo); throws EngineError when it fails.
void cuda_memory_info(int64_t* freeBytes, int64_t* totalBytes);
#endif

}  // namespace yj
