package yunjing.proxy.cache;

import yunjing.proxy.CacheStats;
import yunjing.proxy.metrics.ProxyMetrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * The cache's outcome and eviction counts: each one goes to the metrics (every result, by name) and
 * the few {@link CacheStats} reports are also summed here. Thread-safe.
 */
final class CacheCounters {

    private final ProxyMetrics metrics;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder stale = new LongAdder();
    private final LongAdder revalidated = new LongAdder();
    private final LongAdder collapsed = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    CacheCounters(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    /** One request's outcome: {@code hit}, {@code miss}, {@code stale}, {@code revalidated}, {@code collapsed}, or another. */
    void result(String result) {
        metrics.cacheResult(result);
        switch (result) {
            case "hit" -> hits.increment();
            case "miss" -> misses.increment();
            case "stale" -> stale.increment();
            case "revalidated" -> revalidated.increment();
            case "collapsed" -> collapsed.increment();
            default -> {
            }
        }
    }

    /** An entry evicted from {@code tier} ({@code l1} or {@code l2}) to make room. */
    void evicted(String tier) {
        evictions.increment();
        metrics.cacheEviction(tier);
    }

    CacheStats stats(long l1Entries, long l1Bytes, long l2Entries, long l2Bytes) {
        return new CacheStats(l1Entries, l1Bytes, l2Entries, l2Bytes, hits.sum(), misses.sum(), stale.sum(),
                revalidated.sum(), collapsed.sum(), evictions.sum());
    }
}
