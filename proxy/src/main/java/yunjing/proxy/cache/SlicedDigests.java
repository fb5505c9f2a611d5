package yunjing.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.logging.Logger;

/**
 * The digest checks of sliced objects that name a SHA-256: one per digest and length, shared by the
 * readers that hash the slices in order ({@link SlicedDigest}), and what a mismatch costs. Thread-safe.
 */
final class SlicedDigests {

    private static final Logger log = Logger.getLogger(SlicedDigests.class.getName());

    /** Checks in progress, by digest and length. */
    private final Cache<String, SlicedDigest> checks = Caffeine.newBuilder().maximumSize(4096).executor(Runnable::run).build();
    private final Slices slices;
    private final CachePurges purges;
    private final CacheCounters counters;

    SlicedDigests(Slices slices, CachePurges purges, CacheCounters counters) {
        this.slices = slices;
        this.purges = purges;
        this.counters = counters;
    }

    /** The check of {@code object}, shared by its readers; null for an entry that is not sliced or names no digest. */
    SlicedDigest check(CacheEntry object) {
        if (!object.isSliced() || object.digest == null) {
            return null;
        }
        return checks.get(object.digest + "/" + object.slicedLength, k -> new SlicedDigest(object.digest, slices.count(object)));
    }

    /**
     * A sliced object's slices, hashed in order, do not give its SHA-256: counted once, and every response
     * naming the digest and every slice stored under it are dropped, so the next request fetches anew.
     */
    void mismatch(CacheEntry object, SlicedDigest check) {
        if (checks.asMap().remove(object.digest + "/" + object.slicedLength, check)) {
            counters.result("digest-mismatch");
            log.warning(() -> "slices of " + object.primaryKey + " do not give its sha256 " + object.digest + "; dropped");
            purges.purgeDigest(object.digest);
        }
    }
}
