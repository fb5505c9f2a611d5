// A fixed pool of worker threads for data-parallel loops. The caller's thread takes part too, so a pool of
// N threads runs N-way parallel loops with N-1 workers. One loop at a time (the engine serialises steps).
#pragma once

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

    // Runs fn(begin, end) over [0, count) split into size() contiguous parts; returns when all are done.
    void parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& fn);

private:
    void run_worker(int index);

    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable start_;
    std::condition_variable done_;
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t count_ = 0;
    uint64_t generation_ = 0;
    int pending_ = 0;
    bool stop_ = false;
};

}  // namespace yj
