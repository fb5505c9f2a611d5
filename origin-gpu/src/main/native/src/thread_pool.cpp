#include "thread_pool.h"

namespace yj {

ThreadPool::ThreadPool(int threads) {
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

static void part(int64_t count, int parts, int index, int64_t* begin, int64_t* end) {
    int64_t per = count / parts, extra = count % parts;
    *begin = index * per + (index < extra ? index : extra);
    *end = *begin + per + (index < extra ? 1 : 0);
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
        pending_ = static_cast<int>(workers_.size());
        generation_++;
    }
    start_.notify_all();
    int64_t b, e;
    part(count, size(), 0, &b, &e);
    if (b < e) fn(b, e);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
}

void ThreadPool::run_worker(int index) {
    uint64_t seen = 0;
    for (;;) {
        const std::function<void(int64_t, int64_t)>* job;
        int64_t count;
        {
            std::unique_lock<std::mutex> lock(mu_);
            start_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            job = job_;
            count = count_;
        }
        int64_t b, e;
        part(count, size(), index, &b, &e);
        if (b < e) (*job)(b, e);
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (--pending_ == 0) done_.notify_one();
        }
    }
}

}  // namespace yj
