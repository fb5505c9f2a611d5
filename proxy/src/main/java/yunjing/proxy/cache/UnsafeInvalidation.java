package yunjing.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which stored responses an unsafe request invalidates (RFC 9111 §4.4): after a POST, PUT, DELETE,
 * PATCH or any other method not defined as safe got a non-error response (2xx or 3xx), the cache
 * must invalidate its target URI, and may invalidate the URIs in {@code Location} and
 * {@code Content-Location}; it does the latter only on the same host, so one origin cannot make a
 * cache drop another's responses.
 */
public final class UnsafeInvalidation {

    private UnsafeInvalidation() {
    }

    /** Methods whose semantics are read-only (RFC 9110 §9.2.1); every other one is unsafe. */
    public static boolean isUnsafe(HttpMethod method) {
        return !(HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)
                || HttpMethod.OPTIONS.equals(method) || HttpMethod.TRACE.equals(method));
    }

    /** Whether a response with this status invalidates (non-error: 2xx or 3xx). */
    public static boolean invalidates(int status) {
        return status >= 200 && status < 400;
    }

    /**
     * The request targets ({@code /path?query}) to invalidate on {@code host}: the request's own, then
     * those of {@code Location} and {@code Content-Location} when they are on the same host.
     */
    static List<String> targets(String host, String target, HttpHeaders response) {
        List<String> targets = new ArrayList<>(3);
        targets.add(target);
        for (CharSequence name : List.of(HttpHeaderNames.LOCATION, HttpHeaderNames.CONTENT_LOCATION)) {
            String value = response.get(name);
            String resolved = value == null ? null : sameHostTarget(host, target, value.strip());
            if (resolved != null && !targets.contains(resolved)) {
                targets.add(resolved);
            }
        }
        return targets;
    }

    /** {@code reference} resolved against {@code target}, as a request target, or null if on another host or unusable. */
    private static String sameHostTarget(String host, String target, String reference) {
        try {
            URI base = new URI("http", host, null, null, null).resolve(target);
            URI resolved = base.resolve(new URI(reference));
            String authority = resolved.getRawAuthority();
            if (authority == null || !authority.toLowerCase(Locale.ROOT).equals(host.strip().toLowerCase(Locale.ROOT))) {
                return null;
            }
            String path = resolved.getRawPath() == null || resolved.getRawPath().isEmpty() ? "/" : resolved.getRawPath();
            return resolved.getRawQuery() == null ? path : path + "?" + resolved.getRawQuery();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null; // a malformed header invalidates nothing more
        }
    }
}
