package yunjing.proxy.upstream;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Which parent answered the upstream exchange of a request, by {@code X-Request-Id}, for the access log:
 * a request the cache answers through a fill never sees the fill's {@link UpstreamExchange}, but the fill
 * forwards the request id of the client that started it. Recorded when a final response head arrives,
 * taken once when the client's exchange is logged.
 *
 * <p>Bounded (the newest {@link #MAX_ENTRIES} ids): ids that nobody takes (a background refresh, a client
 * that reused an id) age out instead of piling up. Best effort by design: two requests sent with the same
 * id at the same time may each see the other's parent. Thread-safe.
 */
public final class ParentTrace {

    /** Records nothing: the node writes no access log. */
    public static final ParentTrace OFF = new ParentTrace(0);

    static final int MAX_ENTRIES = 16_384;

    private final Cache<String, String> parents;

    private ParentTrace(int maxEntries) {
        this.parents = maxEntries == 0 ? null
                : Caffeine.newBuilder().maximumSize(maxEntries).executor(Runnable::run).build();
    }

    public static ParentTrace bounded() {
        return new ParentTrace(MAX_ENTRIES);
    }

    void record(String requestId, String parentId) {
        if (parents != null && requestId != null) {
            parents.put(requestId, parentId);
        }
    }

    /** The parent that answered the request with this id, forgotten as it is returned; null if none did. */
    public String take(String requestId) {
        return parents == null || requestId == null ? null : parents.asMap().remove(requestId);
    }
}
