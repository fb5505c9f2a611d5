#include "packed.h"

#include "model.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/mman.h>

namespace yj {

namespace {

constexpr size_t kHugePage = 2u << 20;

typedef float v16 __attribute__((vector_size(64)));

// Row tiles at least this tall prefetch the panel in software (see panel_rows).
constexpr int kPrefetchRows = 6;

// RT rows × one panel: RT accumulators of 16 lanes; each weight vector is loaded once and multiplied by a
// broadcast input of every row. Lane j of acc[r] is output (o0 + j, r), summed in input order.
template <int RT>
inline void panel_rows(const float* panel, const float* x, int in, float* out, int outDim, int o0) {
    v16 acc[RT];
    for (int r = 0; r < RT; r++) acc[r] = v16{};
    for (int i = 0; i < in; i++) {
        // Tiles of 6+ rows prefetch 8 KiB ahead into L2 (prefetcht2): on their compute-heavier loop the hardware
        // prefetcher alone leaves the loads waiting on DRAM. Into L2, not L1 (prefetcht0): an L1 prefetch holds
        // one of the core's few L1 miss buffers for the whole DRAM latency (batch 8 streamed 43 GB/s with
        // prefetcht2, 25 with prefetcht0 or none, 2 threads). Smaller tiles leave the stream to the hardware
        // prefetcher, which keeps up there (batch 1: 54 GB/s without, 38 with prefetcht2).
        if (RT >= kPrefetchRows) __builtin_prefetch(panel + (size_t)(i + 128) * kPanel, 0, 1);
        const v16 w = *reinterpret_cast<const v16*>(panel + (size_t)i * kPanel);  // 64-byte aligned
        for (int r = 0; r < RT; r++) acc[r] += w * x[(size_t)r * in + i];
    }
    const int width = std::min(kPanel, outDim - o0);
    for (int r = 0; r < RT; r++)
        for (int j = 0; j < width; j++) out[(size_t)r * outDim + o0 + j] = acc[r][j];
}

// The last rows % MaxRT rows, with a tile of exactly that many.
template <int RT>
inline void panel_tail(int n, const float* panel, const float* x, int in, float* out, int outDim, int o0) {
    if (n == RT) {
        panel_rows<RT>(panel, x, in, out, outDim, o0);
    } else if constexpr (RT > 1) {
        panel_tail<RT - 1>(n, panel, x, in, out, outDim, o0);
    }
}

// MaxRT: the widest row tile whose accumulators, weight vector and broadcast fit the ISA's registers.
template <int MaxRT>
inline void matmul_impl(const PackedMatrix& m, const float* x, int rows, float* out, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
        const float* panel = m.data + (size_t)p * m.in * kPanel;
        const int o0 = (int)p * kPanel;
        int r = 0;
        for (; r + MaxRT <= rows; r += MaxRT)
            panel_rows<MaxRT>(panel, x + (size_t)r * m.in, m.in, out + (size_t)r * m.outDim, m.outDim, o0);
        if (r < rows)
            panel_tail<MaxRT - 1>(rows - r, panel, x + (size_t)r * m.in, m.in, out + (size_t)r * m.outDim, m.outDim, o0);
    }
}

// 32 zmm registers: 8 accumulators + weight + broadcast.
__attribute__((target("arch=x86-64-v4"), flatten))
void matmul_avx512(const PackedMatrix& m, const float* x, int rows, float* out, int64_t p0, int64_t p1) {
    matmul_impl<8>(m, x, rows, out, p0, p1);
}

// 16 ymm registers, two per 16-lane vector: 6 accumulators (12) + weight (2) + broadcast.
__attribute__((target("arch=x86-64-v3"), flatten))
void matmul_avx2(const PackedMatrix& m, const float* x, int rows, float* out, int64_t p0, int64_t p1) {
    matmul_impl<6>(m, x, rows, out, p0, p1);
}

// x86-64-v2 (SSE4.2), four xmm registers per vector.
__attribute__((flatten))
void matmul_baseline(const PackedMatrix& m, const float* x, int rows, float* out, int64_t p0, int64_t p1) {
    matmul_impl<2>(m, x, rows, out, p0, p1);
}

using MatmulFn = void (*)(const PackedMatrix&, const float*, int, float*, int64_t, int64_t);

struct Isa {
    MatmulFn fn;
    const char* name;
};

Isa pick_isa() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return {matmul_avx512, "avx512"};
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {matmul_avx2, "avx2"};
    return {matmul_baseline, "baseline"};
}

const Isa& isa() {
    static const Isa chosen = pick_isa();
    return chosen;
}

}  // namespace

PackedArena::PackedArena(size_t floats) : capacity_(floats) {
    // Rounded up to whole huge pages, plus one for aligning the start to a huge-page boundary.
    const size_t need = (floats * sizeof(float) + kHugePage - 1) / kHugePage * kHugePage;
    bytes_ = need + kHugePage;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        throw EngineError("cannot allocate " + std::to_string(need >> 20) + " MiB for packed weights: "
                          + std::strerror(errno));
    }
    auto aligned = ((uintptr_t)p + kHugePage - 1) / kHugePage * kHugePage;
    madvise(reinterpret_cast<void*>(aligned), need, MADV_HUGEPAGE);  // advice only: 4 KiB pages still work
    raw_ = p;
    base_ = reinterpret_cast<float*>(aligned);
}

PackedArena::~PackedArena() {
    if (raw_) munmap(raw_, bytes_);
}

PackedMatrix PackedArena::pack(const float* w, int outDim, int in) {
    const size_t n = floats_for(outDim, in);
    if (used_ + n > capacity_) throw EngineError("packed weights arena too small");
    float* dst = base_ + used_;
    used_ += n;
    const int panels = (outDim + kPanel - 1) / kPanel;
    for (int p = 0; p < panels; p++) {
        float* panel = dst + (size_t)p * in * kPanel;
        for (int j = 0; j < kPanel; j++) {
            const int o = p * kPanel + j;
            if (o < outDim) {
                const float* row = w + (size_t)o * in;
                for (int i = 0; i < in; i++) panel[(size_t)i * kPanel + j] = row[i];
            } else {
                for (int i = 0; i < in; i++) panel[(size_t)i * kPanel + j] = 0.f;
            }
        }
    }
    return PackedMatrix{dst, outDim, in};
}

void matmul_packed(const PackedMatrix& m, const float* x, int rows, float* out, int64_t p0, int64_t p1) {
    isa().fn(m, x, rows, out, p0, p1);
}

const char* matmul_packed_isa() { return isa().name; }

}  // namespace yj
