#include "thread_pool.h"

#include <immintrin.h>

namespace yj {

ThreadPool::ThreadPool(int threads) {
    for (int i = 1; i < threads; i++) {
        workers_.emplace_back([this] { run_worker(); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
}

template <typename Done>
bool ThreadPool::spin_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0;; i++) {
        if (done()) return true;
        _mm_pause();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return false;
    }
}

void ThreadPool::run_chunks() {
    for (;;) {
        int64_t c = next_.fetch_add(1, std::memory_order_relaxed);
        if (c >= chunks_) return;
        (*job_)(c * count_ / chunks_, (c + 1) * count_ / chunks_);
        finished_.fetch_add(1, std::memory_order_release);
    }
}

void ThreadPool::parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& fn) {
    if (count <= 0) return;
    if (workers_.empty() || count == 1) {
        fn(0, count);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        job_ = &fn;
        count_ = count;
        // A few chunks per thread: small enough to rebalance, large enough to keep weight rows streaming.
        chunks_ = count < 4 * size() ? count : 4 * size();
        next_.store(0, std::memory_order_relaxed);
        finished_.store(0, std::memory_order_relaxed);
        generation_++;
        published_.store(generation_, std::memory_order_release);
    }
    start_.notify_all();
    run_chunks();
    auto all_done = [this] { return active_.load() == 0 && finished_.load(std::memory_order_acquire) == chunks_; };
    spin_until(all_done);
    std::unique_lock<std::mutex> lock(mu_);
    // Every chunk is taken; wait for the ones still running and for every worker to leave this job, so the
    // next job's counters are not touched by a straggler.
    done_.wait(lock, all_done);
    job_ = nullptr;
}

void ThreadPool::run_worker() {
    uint64_t seen = 0;
    for (;;) {
        spin_until([&] { return published_.load(std::memory_order_acquire) != seen; });
        {
            std::unique_lock<std::mutex> lock(mu_);
            start_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            if (job_ == nullptr) continue;  // woke after that job had finished
            active_++;
        }
        run_chunks();
        {
            std::lock_guard<std::mutex> lock(mu_);
            active_--;
        }
        done_.notify_one();
    }
}

}  // namespace yj
