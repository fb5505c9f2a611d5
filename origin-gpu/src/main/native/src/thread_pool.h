// A fixed pool of worker threads for data-parallel loops. The caller's thread takes part too, and work is
// handed out in chunks from a shared counter, so a worker that the OS has not scheduled yet (a loaded or
// oversubscribed machine) delays nothing: the threads that run take its chunks. One loop at a time (the
// engine serialises steps). A decode step runs ~40 short loops; waking a sleeping thread for each costs tens
// of microseconds, so workers and the caller spin briefly (kSpin) before they block.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
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
    void parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& fn);

private:
    void run_worker();
    // Takes and runs chunks of the current job until none is left.
    void run_chunks();
    // Spins until done() or kSpin has passed; true if done() became true.
    template <typename Done>
    static bool spin_until(Done done);

    static constexpr std::chrono::microseconds kSpin{50};

    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable start_;
    std::condition_variable done_;
    // The current job; guarded by mu_ except the atomics, which the chunk loop reads without the lock.
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t count_ = 0;
    int64_t chunks_ = 0;
    std::atomic<int64_t> next_{0};
    std::atomic<int64_t> finished_{0};
    std::atomic<int> active_{0};  // workers inside run_chunks for the current job; changed under mu_
    uint64_t generation_ = 0;
    std::atomic<uint64_t> published_{0};  // generation_, readable without the lock by spinning workers
    bool stop_ = false;
};

}  // namespace yj
