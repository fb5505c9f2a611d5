package yunjing.proxy;

/**
 * A snapshot of a node's cache: size of each tier and request counters since start (the same results as
 * the {@code yunjing.proxy.cache.requests} metric; a revalidated request is counted as stale too).
 *
 * @param l1Entries   entries in memory (a body stored once by digest and each URL's head referring to it
 *                    count one each)
 * @param l1Bytes     their weight in bytes (body plus an estimate of the head)
 * @param l2Entries   entries on disk (0 without a disk tier)
 * @param l2Bytes     bytes of their files
 * @param hits        requests answered from a fresh entry
 * @param misses      requests that started a fetch with nothing stored (or fetched alone)
 * @param stale       requests that found a stale entry (revalidated, served stale, or refetched)
 * @param revalidated stale entries refreshed by a 304
 * @param collapsed   requests that joined another request's fetch
 * @param evictions   entries evicted for space, both tiers together (purges are not counted)
 */
public record CacheStats(long l1Entries, long l1Bytes, long l2Entries, long l2Bytes, long hits, long misses,
        long stale, long revalidated, long collapsed, long evictions) {
}
