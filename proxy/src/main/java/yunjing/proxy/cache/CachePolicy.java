package yunjing.proxy.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The rules of a shared cache, RFC 9111 (https://www.rfc-editor.org/rfc/rfc9111), as pure functions of
 * messages and times. Times are epoch milliseconds; freshness and ages are in milliseconds too, kept at
 * the second precision of the fields they come from.
 */
final class CachePolicy {

    /** Statuses "heuristically cacheable by default", RFC 9110 §15.1. */
    static final Set<Integer> HEURISTICALLY_CACHEABLE = Set.of(200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501);

    private CachePolicy() {
    }

    /** Whether a request may be answered from the cache at all: only GET and HEAD are (RFC 9111 §3, §4). */
    static boolean cacheableMethod(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
    }

    /**
     * Whether a shared cache may store the response to a GET, RFC 9111 §3 (and §3.5 for Authorization).
     *
     * @param request   the request's fields
     * @param requestCc the request's Cache-Control
     */
    static boolean storable(HttpHeaders request, CacheControl requestCc, int status, HttpHeaders response,
            CacheControl responseCc) {
        if (status < 200 || status == 206 || status == 304) {
            // 1xx are not final; partial content and 304 are not complete responses we can store alone (§3.3, §4.3.4).
            return false;
        }
        if (requestCc.has("no-store") || responseCc.has("no-store")) {
            return false; // §5.2.1.5, §5.2.2.5
        }
        if (responseCc.has("private")) {
            return false; // §5.2.2.7: a shared cache must not store it
        }
        if (request.contains(HttpHeaderNames.AUTHORIZATION) && !responseCc.has("public")
                && !responseCc.has("s-maxage") && !responseCc.has("must-revalidate")) {
            return false; // §3.5
        }
        if (varyNames(response) == null) {
            return false; // Vary: * never matches (§4.1), storing it is useless
        }
        // §3: one of public, Expires, max-age, s-maxage, or a heuristically cacheable status.
        return responseCc.has("public") || response.contains(HttpHeaderNames.EXPIRES) || responseCc.has("max-age")
                || responseCc.has("s-maxage") || HEURISTICALLY_CACHEABLE.contains(status);
    }

    /**
     * Whether a storable response is worth storing here (a choice of this cache, RFC 9111 §3 allows more):
     * not when it can never be reused — no freshness and no validator to revalidate it with — and never
     * an event stream ({@code text/event-stream}), which is a live feed rather than a document and must
     * reach the client as it is produced, with the client's cancel reaching the origin.
     */
    static boolean worthStoring(HttpHeaders response, long lifetime) {
        String type = response.get(HttpHeaderNames.CONTENT_TYPE, "");
        if (type.regionMatches(true, 0, "text/event-stream", 0, 17)) {
            return false;
        }
        return lifetime > 0 || response.contains(HttpHeaderNames.ETAG) || response.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    /**
     * The freshness lifetime, RFC 9111 §4.2.1: s-maxage, then max-age, then Expires − Date, then a heuristic
     * (§4.2.2) for heuristically cacheable statuses only: 10% of the time since Last-Modified, capped at
     * {@code maxHeuristicMillis}. A 404 without explicit freshness gets {@code negativeTtlMillis} instead
     * (short negative caching). Invalid or duplicated directives mean stale (0).
     *
     * @param responseTime when the response was received, used when it has no valid Date
     */
    static long freshnessLifetime(int status, HttpHeaders response, CacheControl responseCc, long responseTime,
            long maxHeuristicMillis, long negativeTtlMillis) {
        long sMaxAge = responseCc.seconds("s-maxage");
        if (sMaxAge != -1) {
            return Math.max(0, sMaxAge) * 1000;
        }
        long maxAge = responseCc.seconds("max-age");
        if (maxAge != -1) {
            return Math.max(0, maxAge) * 1000;
        }
        long date = dateValue(response, responseTime);
        if (response.contains(HttpHeaderNames.EXPIRES)) {
            // §5.3: an invalid Expires (e.g. "0") means already expired; more than one is invalid too.
            List<String> expires = response.getAll(HttpHeaderNames.EXPIRES);
            Date parsed = expires.size() == 1 ? DateFormatter.parseHttpDate(expires.get(0)) : null;
            return parsed == null ? 0 : Math.max(0, parsed.getTime() - date);
        }
        if (status == 404) {
            return negativeTtlMillis;
        }
        if (!HEURISTICALLY_CACHEABLE.contains(status)) {
            return 0;
        }
        Date lastModified = DateFormatter.parseHttpDate(response.get(HttpHeaderNames.LAST_MODIFIED, ""));
        if (lastModified == null || lastModified.getTime() >= date) {
            return 0;
        }
        // §4.2.2: "no more than some fraction of the interval since that time. A typical setting ... is 10%."
        long heuristic = (date - lastModified.getTime()) / 10;
        return Math.min(heuristic - heuristic % 1000, maxHeuristicMillis);
    }

    /**
     * The current age, RFC 9111 §4.2.3:
     * <pre>
     * apparent_age = max(0, response_time - date_value);
     * response_delay = response_time - request_time;
     * corrected_age_value = age_value + response_delay;
     * corrected_initial_age = max(apparent_age, corrected_age_value);
     * resident_time = now - response_time;
     * current_age = corrected_initial_age + resident_time;
     * </pre>
     */
    static long currentAge(HttpHeaders response, long requestTime, long responseTime, long now) {
        return currentAge(correctedInitialAge(response, requestTime, responseTime), responseTime, now);
    }

    /** The corrected_initial_age of the formula above: fixed once the response is received. */
    static long correctedInitialAge(HttpHeaders response, long requestTime, long responseTime) {
        long apparentAge = Math.max(0, responseTime - dateValue(response, responseTime));
        long responseDelay = Math.max(0, responseTime - requestTime);
        long correctedAgeValue = ageValue(response) * 1000 + responseDelay;
        return Math.max(apparentAge, correctedAgeValue);
    }

    /** current_age from a {@link #correctedInitialAge} computed before. */
    static long currentAge(long correctedInitialAge, long responseTime, long now) {
        long residentTime = Math.max(0, now - responseTime);
        return correctedInitialAge + residentTime;
    }

    /** The Age field in seconds (§5.1): 0 when absent or invalid. */
    static long ageValue(HttpHeaders response) {
        String age = response.get(HttpHeaderNames.AGE);
        if (age == null) {
            return 0;
        }
        CacheControl parsed = CacheControl.parse("age=" + age.strip());
        return Math.max(0, parsed.seconds("age"));
    }

    /** The Date field, or {@code fallback} when absent or invalid (RFC 9110 §6.6.1 lets a recipient assume its own clock). */
    static long dateValue(HttpHeaders response, long fallback) {
        Date date = DateFormatter.parseHttpDate(response.get(HttpHeaderNames.DATE, ""));
        return date == null ? fallback : date.getTime();
    }

    /**
     * The request fields named by Vary, lower-cased and sorted (so equivalent Varies give one key); null
     * for {@code Vary: *}.
     */
    static List<String> varyNames(HttpHeaders response) {
        List<String> names = new ArrayList<>();
        for (String line : response.getAll(HttpHeaderNames.VARY)) {
            for (String name : line.split(",")) {
                String n = name.strip().toLowerCase(Locale.ROOT);
                if (n.equals("*")) {
                    return null;
                }
                if (!n.isEmpty() && !names.contains(n)) {
                    names.add(n);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * What the request's own Cache-Control (RFC 9111 §5.2.1) allows for a stored response of the given
     * freshness and age. {@code immutable} (RFC 8246 §2) lets a fresh response ignore a client's reload
     * ({@code no-cache} or {@code max-age=0}): the origin promised it will not change while fresh.
     */
    static boolean requestAccepts(CacheControl requestCc, long lifetime, long age, boolean immutable) {
        boolean fresh = lifetime > age;
        if (fresh && immutable) {
            return true;
        }
        if (requestCc.has("no-cache")) {
            return false; // §5.2.1.4: must not use a stored response without validating it
        }
        long maxAge = requestCc.seconds("max-age");
        if (maxAge == -2 || (maxAge >= 0 && age > maxAge * 1000)) {
            return false; // §5.2.1.1
        }
        long minFresh = requestCc.seconds("min-fresh");
        if (minFresh >= 0 && lifetime - age < minFresh * 1000) {
            return false; // §5.2.1.3
        }
        if (fresh) {
            return true;
        }
        // §5.2.1.2 max-stale: stale is acceptable within the given bound (no value: any staleness).
        if (requestCc.has("max-stale")) {
            if (requestCc.bare("max-stale")) {
                return true;
            }
            long maxStale = requestCc.seconds("max-stale");
            return maxStale >= 0 && age - lifetime <= maxStale * 1000;
        }
        return false;
    }

    /**
     * Whether a stale response may be served at all without revalidation: not when the response says
     * must-revalidate or proxy-revalidate (§5.2.2.2, §5.2.2.8), s-maxage (§5.2.2.10: implies
     * proxy-revalidate for shared caches) or no-cache (§5.2.2.4).
     */
    static boolean staleServable(CacheControl responseCc) {
        return !responseCc.has("must-revalidate") && !responseCc.has("proxy-revalidate")
                && !responseCc.has("s-maxage") && !responseCc.has("no-cache");
    }

    /** A stored response with {@code no-cache} must be validated before every reuse (§5.2.2.4). */
    static boolean mustValidateEachTime(CacheControl responseCc) {
        return responseCc.has("no-cache");
    }

    /**
     * How long past its lifetime a response may be served while it is refreshed in the background
     * (RFC 5861 §3 stale-while-revalidate), in ms; 0 when not allowed.
     */
    static long staleWhileRevalidate(CacheControl responseCc) {
        long swr = responseCc.seconds("stale-while-revalidate");
        return swr > 0 && staleServable(responseCc) ? swr * 1000 : 0;
    }

    /**
     * How stale a response may be served when the parents fail (RFC 5861 §4 stale-if-error), in ms: the
     * response's own stale-if-error when given, else the configured maximum, never more than that maximum.
     */
    static long staleIfError(CacheControl responseCc, long configuredMaxMillis) {
        if (!staleServable(responseCc)) {
            return 0;
        }
        long sie = responseCc.seconds("stale-if-error");
        return sie >= 0 ? Math.min(sie * 1000, configuredMaxMillis) : configuredMaxMillis;
    }

    /**
     * Whether a client's conditional GET is answered 304 by a stored response (RFC 9110 §13.1.1,
     * §13.1.3): If-None-Match with a weak comparison of entity tags; If-Modified-Since only when there is
     * no If-None-Match.
     */
    static boolean notModified(HttpHeaders request, HttpHeaders stored) {
        List<String> inm = request.getAll(HttpHeaderNames.IF_NONE_MATCH);
        String etag = stored.get(HttpHeaderNames.ETAG);
        if (!inm.isEmpty()) {
            if (etag == null) {
                return false;
            }
            String opaque = weak(etag.strip());
            for (String line : inm) {
                for (String tag : line.split(",")) {
                    String t = tag.strip();
                    if (t.equals("*") || weak(t).equals(opaque)) {
                        return true;
                    }
                }
            }
            return false;
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (ifModifiedSince == null) {
            return false;   // the common case: no date to parse on every hit
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        Date modified = DateFormatter.parseHttpDate(stored.get(HttpHeaderNames.LAST_MODIFIED, ""));
        return since != null && modified != null && !modified.after(since);
    }

    private static String weak(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
