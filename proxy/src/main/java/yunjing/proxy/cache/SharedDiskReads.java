package yunjing.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import yunjing.proxy.CacheConfig;
import yunjing.proxy.metrics.ProxyMetrics;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads of L2 entries, shared: concurrent lookups of one key wait for one read, which runs on the disk
 * tier's thread; the entry found moves to L1, unless a purge ran meanwhile (it may have been this key).
 * Thread-safe.
 */
final class SharedDiskReads {

    private final DiskTier disk;
    private final Cache<String, CacheEntry> l1;
    private final CachePurges purges;
    private final ProxyMetrics metrics;
    private final CacheConfig config;
    private final ConcurrentHashMap<String, CompletableFuture<CacheEntry>> inFlight = new ConcurrentHashMap<>();

    SharedDiskReads(DiskTier disk, Cache<String, CacheEntry> l1, CachePurges purges, ProxyMetrics metrics, CacheConfig config) {
        this.disk = disk;
        this.l1 = l1;
        this.purges = purges;
        this.metrics = metrics;
        this.config = config;
    }

    /** The entry stored on disk under {@code key}; null when L2 has none. The future yields null for a corrupt entry. */
    CompletableFuture<CacheEntry> lookup(String key) {
        if (disk == null || !disk.contains(key)) {
            return null;
        }
        CompletableFuture<CacheEntry> shared = inFlight.get(key);
        if (shared != null) {
            return shared;
        }
        CompletableFuture<CacheEntry> mine = new CompletableFuture<>();
        shared = inFlight.putIfAbsent(key, mine);
        if (shared != null) {
            return shared;
        }
        long purgesBefore = purges.generation();
        disk.read(key, config.maxHeuristicLifetime().toMillis(), config.negativeTtl().toMillis()).whenComplete((entry, error) -> {
            inFlight.remove(key, mine);
            if (entry != null) {
                metrics.cacheServed("l2", entry.body.length());
                if (purges.generation() == purgesBefore) {
                    l1.put(entry.key, entry);
                }
            }
            mine.complete(entry);
        });
        return mine;
    }
}
