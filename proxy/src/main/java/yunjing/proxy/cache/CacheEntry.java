package yunjing.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.proxy.http.HopByHopHeaders;
import yunjing.proxy.http.ProxyHeaders;

import java.util.List;
import java.util.Map;

/**
 * A stored response: status, head, body and the times RFC 9111 §4.2.3 needs. Immutable except for the
 * body while it fills; the head is never modified after construction (readers copy it).
 *
 * <p>Three kinds share this type: a <em>whole</em> entry holds its body; a <em>sliced</em> entry (a large
 * object, {@link #slicedLength} &ge; 0) holds only the head and an empty body, its bytes being stored as
 * slices ({@link Slices}); a <em>slice</em> entry holds one slice's bytes under a slice key.
 *
 * <p>A whole body that passed its digest check is stored once per digest ({@link DigestBodies}): what L1 and
 * L2 hold under the URL's key is then a <em>head</em> ({@link #sharedBody} set, empty body), joined to the
 * body stored under the digest ({@link #withBody}) before it is served.
 */
final class CacheEntry {

    final String primaryKey;
    final String key;
    final HttpResponseStatus status;
    final HttpHeaders headers;
    final CacheControl cacheControl;
    final List<String> varyNames;
    final long requestTime;
    final long responseTime;
    final long lifetime;
    final GrowingBody body;
    /** The object's length when its bytes are stored as slices, else -1. */
    final long slicedLength;
    /** The SHA-256 (hex) the head names for the body ({@link Digests}), or null. */
    final String digest;
    /**
     * Set on a head only: the SHA-256 under which its body is stored once ({@link DigestBodies}); its own
     * {@link #body} is then empty. Null on every entry that holds its body, joined ones included.
     */
    final String sharedBody;
    /** Parsed once: the stored head never changes, and every hit asks for the age (Date and Age parsing). */
    private final long correctedInitialAge;

    CacheEntry(String primaryKey, String key, HttpResponseStatus status, HttpHeaders headers, List<String> varyNames,
            long requestTime, long responseTime, long lifetime, GrowingBody body) {
        this(primaryKey, key, status, headers, varyNames, requestTime, responseTime, lifetime, body, -1);
    }

    CacheEntry(String primaryKey, String key, HttpResponseStatus status, HttpHeaders headers, List<String> varyNames,
            long requestTime, long responseTime, long lifetime, GrowingBody body, long slicedLength) {
        this.primaryKey = primaryKey;
        this.key = key;
        this.status = status;
        this.headers = headers;
        this.cacheControl = CacheControl.parse(headers);
        this.varyNames = varyNames;
        this.requestTime = requestTime;
        this.responseTime = responseTime;
        this.lifetime = lifetime;
        this.body = body;
        this.slicedLength = slicedLength;
        this.digest = Digests.sha256(headers);
        this.correctedInitialAge = CachePolicy.correctedInitialAge(headers, requestTime, responseTime);
        this.sharedBody = null;
    }

    /** A copy of {@code from} with another body: the parsed head is shared, not parsed again. */
    private CacheEntry(CacheEntry from, GrowingBody body, String sharedBody) {
        this.primaryKey = from.primaryKey;
        this.key = from.key;
        this.status = from.status;
        this.headers = from.headers;
        this.cacheControl = from.cacheControl;
        this.varyNames = from.varyNames;
        this.requestTime = from.requestTime;
        this.responseTime = from.responseTime;
        this.lifetime = from.lifetime;
        this.body = body;
        this.slicedLength = from.slicedLength;
        this.digest = from.digest;
        this.correctedInitialAge = from.correctedInitialAge;
        this.sharedBody = sharedBody;
    }

    /** This response's head alone, its body being stored once under {@code sha256} ({@link DigestBodies}). */
    CacheEntry headOnly(String sha256) {
        return new CacheEntry(this, GrowingBody.completed(List.of()), sha256);
    }

    /** This head joined to its body as stored under {@link #sharedBody}: a whole entry, as served. */
    CacheEntry withBody(GrowingBody stored) {
        return new CacheEntry(this, stored, null);
    }

    /** Whether {@code other} is this response: the same entry, or the head it was joined from (they share the head). */
    boolean sameResponse(CacheEntry other) {
        return other == this || (other.headers == headers && other.key.equals(key));
    }

    boolean isSliced() {
        return slicedLength >= 0;
    }

    /** The length of the object when it is known: sliced, or a whole body that is complete; else -1. */
    long knownLength() {
        if (isSliced()) {
            return slicedLength;
        }
        return body.isComplete() ? body.length() : -1;
    }

    /**
     * The head to store from a parent's response: hop-by-hop fields and per-request fields
     * ({@code X-Request-Id}) removed; {@code Age} is kept for the age calculation and replaced when served.
     */
    static HttpHeaders storedHeaders(HttpHeaders received) {
        HttpHeaders headers = new DefaultHttpHeaders().set(received);
        HopByHopHeaders.strip(headers);
        headers.remove(ProxyHeaders.X_REQUEST_ID);
        return headers;
    }

    long age(long now) {
        return CachePolicy.currentAge(correctedInitialAge, responseTime, now);
    }

    boolean isFresh(long now) {
        return !CachePolicy.mustValidateEachTime(cacheControl) && lifetime > age(now);
    }

    boolean immutable() {
        return cacheControl.has("immutable");
    }

    boolean hasValidators() {
        return headers.contains(HttpHeaderNames.ETAG) || headers.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    /** Weight in the L1 bound: body bytes plus a rough size of the head. */
    int weight() {
        long head = 64;
        for (Map.Entry<String, String> h : headers) {
            head += h.getKey().length() + h.getValue().length() + 4;
        }
        return (int) Math.min(Integer.MAX_VALUE, body.length() + head + key.length());
    }
}
