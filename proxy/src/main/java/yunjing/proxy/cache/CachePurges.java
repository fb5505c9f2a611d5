package yunjing.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Removes stored responses from every place {@link HttpCache} keeps them: L1 and its Vary index, the slices
 * of large objects, fills in flight (which then store nothing), L2, and bodies stored once by digest that no
 * head refers to any more. By URL, prefix or digest for the admin API, and after an unsafe request
 * (RFC 9111 §4.4). Each purge bumps {@link #generation()}, so an L2 read that started before it does not
 * put back what it removed.
 *
 * <p>Thread-safe. A purge scans the entries (O(entries), meant for the admin API); the invalidation of a key
 * under which nothing is stored costs a few map lookups.
 */
final class CachePurges {

    private final Cache<String, CacheEntry> l1;
    private final Cache<String, List<String>> varyIndex;
    private final Slices slices;
    private final ConcurrentHashMap<String, Fill> fills;
    private final DiskTier disk; // null without L2
    private final DigestBodies bodies;
    private final AtomicLong generation = new AtomicLong();

    CachePurges(Cache<String, CacheEntry> l1, Cache<String, List<String>> varyIndex, Slices slices,
            ConcurrentHashMap<String, Fill> fills, DiskTier disk, DigestBodies bodies) {
        this.l1 = l1;
        this.varyIndex = varyIndex;
        this.slices = slices;
        this.fills = fills;
        this.disk = disk;
        this.bodies = bodies;
    }

    /** How many purges have started; unchanged across an operation means no purge ran during it. */
    long generation() {
        return generation.get();
    }

    /**
     * Removes every stored variant (all Vary secondary keys) whose primary key {@code purged} accepts, from
     * L1 and L2, and keeps fills in flight for those keys from storing what they fetch. Clients already
     * reading such an entry finish reading it. Any thread; O(entries) — meant for the admin API.
     *
     * @return how many entries were removed (an entry held in both tiers counts once)
     */
    int purge(Predicate<String> purged) {
        return purge(purged, digest -> false);
    }

    private int purge(Predicate<String> purged, Predicate<String> digests) {
        generation.incrementAndGet();
        Predicate<CacheEntry> matches = entry -> purged.test(entry.primaryKey)
                || (entry.digest != null && digests.test(entry.digest));
        Set<String> removed = new HashSet<>();
        Set<String> released = new HashSet<>(); // digests of bodies that purged heads referred to
        for (Map.Entry<String, CacheEntry> e : l1.asMap().entrySet()) {
            if (matches.test(e.getValue()) && l1.asMap().remove(e.getKey(), e.getValue())) {
                removed.add(e.getKey());
                if (e.getValue().sharedBody != null) {
                    released.add(e.getValue().sharedBody);
                }
            }
        }
        varyIndex.asMap().keySet().removeIf(purged);
        slices.purge(purged);
        for (Map.Entry<String, Fill> e : fills.entrySet()) {
            if (purged.test(e.getKey()) && fills.remove(e.getKey(), e.getValue())) {
                e.getValue().purged(); // its readers finish; nothing is stored, later misses start a new fill
            }
        }
        if (disk != null) {
            released.addAll(disk.digestsNamed(purged));
            removed.addAll(disk.purge(purged, digests));
        }
        bodies.dropUnreferenced(released);
        return removed.size();
    }

    /**
     * Purges every stored response whose head names this SHA-256 ({@code X-Linked-Etag}, {@code Repr-Digest}
     * or a sha256 ETag), under whatever URL, and the slices stored under the digest.
     *
     * @param sha256 64 hex digits
     */
    int purgeDigest(String sha256) {
        String digest = sha256.strip().toLowerCase(Locale.ROOT);
        return purge(Digests.slicePrimary(digest)::equals, digest::equals);
    }

    /** Purges one primary key: {@code host[:port]} + normalised path + query, or null for none. */
    int purgeKey(String host, String target) {
        String primary = CacheKey.primary(host, target);
        return primary == null ? 0 : purge(primary::equals);
    }

    /**
     * After an unsafe request ({@link UnsafeInvalidation#isUnsafe}) got a 2xx or 3xx: drops what is
     * stored for its target, and for its {@code Location} and {@code Content-Location} on the same
     * host (RFC 9111 §4.4), fills in flight included. Cheap when nothing is stored under those keys
     * (the usual case: the scan of {@link #purge} runs only for a key that holds something). Any thread.
     *
     * @return how many entries were removed
     */
    int invalidateAfterUnsafe(String host, String target, HttpHeaders response) {
        if (host == null) {
            return 0;
        }
        Set<String> stored = new HashSet<>();
        for (String t : UnsafeInvalidation.targets(host, target, response)) {
            String primary = CacheKey.primary(host, t);
            if (primary != null && holds(primary)) {
                stored.add(primary);
            }
        }
        return stored.isEmpty() ? 0 : purge(stored::contains); // one scan for all the keys
    }

    /** Whether anything may be stored or filling under this primary key (false means surely nothing). */
    private boolean holds(String primary) {
        return varyIndex.getIfPresent(primary) != null || fills.containsKey(primary)
                || (disk != null && disk.holds(primary));
    }

    /** Purges every primary key that starts with {@code host[:port]/pathPrefix} (host compared lower-cased). */
    int purgePrefix(String host, String pathPrefix) {
        String prefix = host.strip().toLowerCase(Locale.ROOT) + pathPrefix;
        return purge(key -> key.startsWith(prefix));
    }
}
