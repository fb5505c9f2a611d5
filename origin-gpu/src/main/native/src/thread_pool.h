// A fixed pool of worker threads for data-parallel loops. The caller's thread takes part too. A loop's items are
// split into one contiguous range per thread, so each thread streams its own part of a weight matrix from the
// front; a thread that runs out takes single items from the back of another's range, so a worker that the OS
// has not scheduled yet (a loaded or oversubscribed machine) delays nothing and uneven threads still finish
// together. One loop at a time (the engine serialises steps). A decode step runs ~40 short loops; waking a
// sleeping thread for each costs tens of microseconds, so workers and the caller spin briefly (kSpin) before
// they block.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace yj {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // Runs fn(begin, end) over disjoint contiguous ranges covering [0, count); returns when all are done.
    // At most 2^32 - 1 items (std::invalid_argument otherwise).
    void parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& fn);

private:
    // The items [lo, hi) of one thread's range not yet taken, packed as lo | hi << 32 so that its owner
    // (from the front) and thieves (from the back) claim items with one compare-and-swap. One cache line
    // each: the owner's claims do not contend with the other threads'.
    struct alignas(64) Range {
        std::atomic<uint64_t> bounds{0};
    };

    void run_worker(int self);
    // Runs items of the current job until none is left: its own range first, then other threads'.
    void run_items(int self);
    // Claims the first (front) or last item left in range r; false when it is empty.
    bool claim(Range& r, bool front, int64_t* item);
    // Spins until done() or kSpin has passed; true if done() became true.
    template <typename Done>
    static bool spin_until(Done done);

    static constexpr std::chrono::microseconds kSpin{50};

    std::vector<std::thread> workers_;
    std::unique_ptr<Range[]> ranges_;  // size() of them; ranges_[0] is the caller's
    std::mutex mu_;
    std::condition_variable start_;
    std::condition_variable done_;
    // The current job; guarded by mu_ except the atomics, which the item loop reads without the lock.
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t count_ = 0;
    std::atomic<int64_t> finished_{0};  // items done
    std::atomic<int> active_{0};  // workers inside run_items for the current job; changed under mu_
    uint64_t generation_ = 0;
    std::atomic<uint64_t> published_{0};  // generation_, readable without the lock by spinning workers
    bool stop_ = false;
};

}  // namespace yj
