#include "thread_pool.h"

#include <immintrin.h>
#include <stdexcept>

namespace yj {

ThreadPool::ThreadPool(int threads) : ranges_(new Range[threads < 1 ? 1 : threads]) {
    for (int i = 1; i < threads; i++) {
        workers_.emplace_back([this, i] { run_worker(i); });
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

bool ThreadPool::claim(Range& r, bool front, int64_t* item) {
    uint64_t b = r.bounds.load(std::memory_order_relaxed);
    for (;;) {
        const uint64_t lo = b & 0xffffffffu, hi = b >> 32;
        if (lo >= hi) return false;
        const uint64_t next = front ? (lo + 1) | hi << 32 : lo | (hi - 1) << 32;
        if (r.bounds.compare_exchange_weak(b, next, std::memory_order_relaxed)) {
            *item = (int64_t)(front ? lo : hi - 1);
            return true;
        }
    }
}

void ThreadPool::run_items(int self) {
    const int n = size();
    int64_t item, done = 0;
    // One item per claim: a thief always finds work at the granularity of one item (a weight panel), and the
    // owner's claims stay in its own cache line.
    while (claim(ranges_[self], true, &item)) {
        (*job_)(item, item + 1);
        done++;
    }
    for (int k = 1; k < n; k++) {
        Range& victim = ranges_[(self + k) % n];
        while (claim(victim, false, &item)) {
            (*job_)(item, item + 1);
            done++;
        }
    }
    // Counted once per thread, not per item: the shared counter's cache line would otherwise move between
    // the cores with every panel (thousands of times per step).
    finished_.fetch_add(done, std::memory_order_release);
}

void ThreadPool::parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& fn) {
    if (count <= 0) return;
    if (workers_.empty() || count == 1) {
        fn(0, count);
        return;
    }
    if (count > (int64_t)UINT32_MAX) throw std::invalid_argument("parallel_for: more than 2^32 - 1 items");
    {
        std::lock_guard<std::mutex> lock(mu_);
        job_ = &fn;
        count_ = count;
        const int n = size();
        for (int t = 0; t < n; t++) {
            const uint64_t lo = (uint64_t)(count * t / n), hi = (uint64_t)(count * (t + 1) / n);
            ranges_[t].bounds.store(lo | hi << 32, std::memory_order_relaxed);
        }
        finished_.store(0, std::memory_order_relaxed);
        generation_++;
        published_.store(generation_, std::memory_order_release);
    }
    start_.notify_all();
    run_items(0);
    auto all_done = [this] { return active_.load() == 0 && finished_.load(std::memory_order_acquire) == count_; };
    spin_until(all_done);
    std::unique_lock<std::mutex> lock(mu_);
    // Every item is taken; wait for the ones still running and for every worker to leave this job, so the
    // next job's ranges are not touched by a straggler.
    done_.wait(lock, all_done);
    job_ = nullptr;
}

void ThreadPool::run_worker(int self) {
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
        run_items(self);
        {
            std::lock_guard<std::mutex> lock(mu_);
            active_--;
        }
        done_.notify_one();
    }
}

}  // namespace yj
