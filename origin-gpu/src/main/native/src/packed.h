// Linear weights repacked once at load into the layout the CPU decode kernel streams best, and the kernel.
//
// A Hugging Face linear weight is [outDim][in], row-major. Decode multiplies it by a handful of input rows, so
// the step is bound by how fast the weights stream from memory (batch 1) and, for a batch, by FMA throughput
// once each weight is loaded only once. Panels of 16 output features serve both: panel p stores, for every
// input i, the weights w[16p .. 16p + 15][i] side by side (64 bytes, one cache line), zero-padded past
// outDim. A thread then reads its panels as one sequential stream (one prefetcher stream, few TLB entries
// in a huge-page arena), loads each 16-weight vector once and multiplies it by a broadcast input for every
// row of the tile.
//
// Exactness: output (o, r) sums w[o][i] * x[r][i] in input order in one vector lane, whatever the tile, the
// batch or the thread split, so a row's logits do not depend on which rows share its step (batching and
// prefix forks stay bit-exact).
#pragma once

#include <cstddef>
#include <cstdint>

namespace yj {

constexpr int kPanel = 16;

struct PackedMatrix {
    const float* data = nullptr;  // panels() * in * kPanel floats
    int outDim = 0;
    int in = 0;
    int panels() const { return (outDim + kPanel - 1) / kPanel; }
};

// Owns the packed copies in one anonymous mapping that asks for transparent huge pages (a decode step walks
// hundreds of MB; 4 KiB pages would cost a TLB miss every 4 KiB). Not thread-safe while packing; read-only
// afterwards.
class PackedArena {
public:
    explicit PackedArena(size_t floats);
    ~PackedArena();
    PackedArena(const PackedArena&) = delete;
    PackedArena& operator=(const PackedArena&) = delete;

    static size_t floats_for(int outDim, int in) { return (size_t)((outDim + kPanel - 1) / kPanel) * kPanel * in; }
    // Copies w [outDim][in] into the next free part of the arena in panel layout.
    PackedMatrix pack(const float* w, int outDim, int in);

private:
    void* raw_ = nullptr;     // the whole mapping
    float* base_ = nullptr;   // its first huge-page boundary
    size_t bytes_ = 0;
    size_t used_ = 0;  // floats
    size_t capacity_ = 0;
};

// out[r][o] = dot(w[o], x[r]) for the output features of panels [p0, p1) and rows [0, rows); x is [rows][in],
// out is [rows][outDim]. Picks the AVX-512, AVX2+FMA or baseline build by the CPU it runs on.
void matmul_packed(const PackedMatrix& m, const float* x, int rows, float* out, int64_t p0, int64_t p1);

// Which build matmul_packed runs on this CPU ("avx512", "avx2" or "baseline"), for the log line.
const char* matmul_packed_isa();

}  // namespace yj
