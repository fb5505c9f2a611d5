package yunjing.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Whole bodies (at most {@code l1MaxObjectBytes}) stored once per SHA-256 rather than once per URL, so the
 * URLs of one file ({@code resolve/main/…} and {@code resolve/<commit>/…}) share one copy in L1 and L2, as
 * the slices of large objects do ({@link Slices}).
 *
 * <h2>Layout</h2>
 * A response whose body passed its digest check while it filled ({@link GrowingBody#verifiedSha256} equal to
 * the digest its head names) is stored as two entries, in L1 and L2 alike: a <em>head</em> under the URL's
 * key (status, fields, times, Vary; {@link CacheEntry#sharedBody} set, empty body) and a <em>body entry</em>
 * under {@link #key} (primary key {@link Digests#slicePrimary}, the one the digest's slices use, so a purge by
 * digest drops it with them). A second URL naming the digest stores its head only. The L1 weigher and the L2
 * size count the body once; the head counts its fields. A client that takes file regions gets a body found
 * only in L2 sent from the body entry's file by sendfile, under the URL's head ({@code HttpCache.decideHead}).
 *
 * <h2>Lifecycle</h2>
 * Heads and bodies are evicted on their own (least recently used; a hit on a head touches its body). A head
 * whose body is gone is a miss, and is dropped from L1 when found so; the next fill stores both again. A purge
 * of URLs drops the bodies no remaining head refers to ({@link HttpCache#purge}); a purge by digest drops the
 * body and every head naming it. On disk the body is written before the head (one I/O thread, each file
 * atomically), so a crash leaves at worst a body without heads, never a head whose body was half written.
 *
 * <p>Thread-safe: called from every event loop; L2 reads complete on the disk tier's thread.
 */
final class DigestBodies {

    private final Cache<String, CacheEntry> l1;
    /** Null without a disk tier. */
    private final DiskTier disk;
    /** {@link SharedDiskReads}: an L2 read shared with concurrent readers, moved to L1. */
    private final Function<String, CompletableFuture<CacheEntry>> diskLookup;

    DigestBodies(Cache<String, CacheEntry> l1, DiskTier disk, Function<String, CompletableFuture<CacheEntry>> diskLookup) {
        this.l1 = l1;
        this.disk = disk;
        this.diskLookup = diskLookup;
    }

    /** The key the body named by {@code sha256} is stored under. */
    static String key(String sha256) {
        return Digests.slicePrimary(sha256) + "\nbody";
    }

    /**
     * Whether {@code entry}'s body may be stored once by digest: a whole, complete body checked against the
     * very digest its head names (a 304 could have changed the head's digest but not the body).
     */
    static boolean shareable(CacheEntry entry) {
        return !entry.isSliced() && entry.sharedBody == null && entry.digest != null
                && entry.digest.equals(entry.body.verifiedSha256()) && entry.body.isComplete();
    }

    /**
     * Stores {@code entry}'s body under its digest unless it is there already, in L1 and L2 each (the caller
     * stores the head). False when the body is not on disk and its write was skipped (the disk lags): the
     * head must then stay out of L2 too. Requires {@link #shareable}.
     */
    boolean store(CacheEntry entry) {
        String sha256 = entry.digest;
        CacheEntry body = new CacheEntry(Digests.slicePrimary(sha256), key(sha256), HttpResponseStatus.OK,
                new DefaultHttpHeaders(), List.of(), entry.responseTime, entry.responseTime, 0, entry.body);
        l1.asMap().putIfAbsent(body.key, body);
        return disk == null || disk.contains(body.key) || disk.write(body);
    }

    /** The stored body named by {@code sha256} if it is in L1 with {@code length} bytes, else null. */
    GrowingBody inMemory(String sha256, long length) {
        CacheEntry body = l1.getIfPresent(key(sha256));
        return body != null && body.body.length() == length ? verified(body, sha256) : null;
    }

    /**
     * {@code stored} as it is served: itself when it holds its body, else the head joined to its body from L1,
     * or null when the body is not in L1.
     */
    CacheEntry joinInMemory(CacheEntry stored) {
        if (stored.sharedBody == null) {
            return stored;
        }
        CacheEntry body = l1.getIfPresent(key(stored.sharedBody));
        return body == null ? null : stored.withBody(verified(body, stored.sharedBody));
    }

    /**
     * As {@link #joinInMemory}, also reading the body from L2 (then moved to L1). The future yields null when
     * the body is stored nowhere or was corrupt: the head is then dropped from L1 and the request is a miss.
     */
    CompletableFuture<CacheEntry> join(CacheEntry stored) {
        if (stored == null) {
            return CompletableFuture.completedFuture(null);
        }
        CacheEntry joined = joinInMemory(stored);
        if (joined != null) {
            return CompletableFuture.completedFuture(joined);
        }
        CompletableFuture<CacheEntry> onDisk = diskLookup.apply(key(stored.sharedBody));
        if (onDisk == null) {
            l1.asMap().remove(stored.key, stored);
            return CompletableFuture.completedFuture(null);
        }
        return onDisk.thenApply(body -> {
            if (body == null) {
                l1.asMap().remove(stored.key, stored);
                return null;
            }
            return stored.withBody(verified(body, stored.sharedBody));
        });
    }

    /**
     * Drops the bodies named by {@code released} (digests whose heads were purged) that no head left in L1
     * or L2 names. Any thread; a scan of both tiers, as a purge is.
     */
    void dropUnreferenced(Set<String> released) {
        if (released.isEmpty()) {
            return;
        }
        Set<String> orphans = new HashSet<>(released);
        for (CacheEntry stored : l1.asMap().values()) {
            if (stored.sharedBody != null) {
                orphans.remove(stored.sharedBody);
            }
        }
        if (disk != null) {
            orphans.removeAll(disk.digestsNamed(primary -> true));
        }
        for (String sha256 : orphans) {
            l1.invalidate(key(sha256));
            if (disk != null) {
                disk.remove(key(sha256));
            }
        }
    }

    /**
     * A body entry's bytes were checked against {@code sha256} before they were stored under it (and L2
     * checks its CRC32C when read): recorded, so a refreshed head (304) may share the body again.
     */
    private static GrowingBody verified(CacheEntry body, String sha256) {
        if (body.body.verifiedSha256() == null) {
            body.body.verified(sha256);
        }
        return body.body;
    }
}
