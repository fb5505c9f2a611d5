package yunjing.proxy.cache;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Cache keys. The primary key is the scheme-less host plus the normalised path and query
 * (https://www.rfc-editor.org/rfc/rfc9111#section-2: the target URI; http and https share entries here
 * because every tier serves the same content on both). The secondary key adds the values of the request
 * fields a stored response names in {@code Vary} (RFC 9111 §4.1).
 *
 * <p>Normalisation (RFC 3986 §6.2.2): percent-encoded unreserved characters are decoded and the hex
 * digits of the other escapes upper-cased, so {@code %7e} and {@code ~} are one key; then dot segments
 * are removed (§5.2.4), so {@code /a/%2E%2E/b} and {@code /b} are one key and no path climbs above the
 * root. The request still goes upstream with its original target.
 */
public final class CacheKey {

    private CacheKey() {
    }

    /** The primary key, or null when the target cannot be normalised (then the request bypasses the cache). */
    public static String primary(String host, String target) {
        if (host == null || host.isBlank() || !target.startsWith("/")) {
            return null;
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        int hash = path.indexOf('#');
        if (hash >= 0) {
            path = path.substring(0, hash);
        }
        String normalPath = normalisePercent(path);
        String normalQuery = query == null ? null : normalisePercent(query);
        if (normalPath == null || (query != null && normalQuery == null)) {
            return null;
        }
        normalPath = removeDotSegments(normalPath);
        String key = host.strip().toLowerCase(Locale.ROOT) + normalPath;
        return normalQuery == null ? key : key + "?" + normalQuery;
    }

    /** The secondary key: the primary plus each named request field's combined value (RFC 9111 §4.1). */
    static String secondary(String primary, List<String> varyNames, HttpHeaders request) {
        if (varyNames.isEmpty()) {
            return primary;
        }
        StringBuilder key = new StringBuilder(primary);
        for (String name : varyNames) {
            // Field lines are combined and whitespace normalised, as §4.1 allows.
            String value = String.join(",", request.getAll(name)).replaceAll("\\s*,\\s*", ",").strip();
            key.append('\n').append(name).append(':').append(value);
        }
        return key.toString();
    }

    /** Decodes escaped unreserved characters and upper-cases the other escapes; null on a bad escape. */
    static String normalisePercent(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 2 >= s.length()) {
                return null;
            }
            int hi = Character.digit(s.charAt(i + 1), 16);
            int lo = Character.digit(s.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                return null;
            }
            char decoded = (char) (hi * 16 + lo);
            if (isUnreserved(decoded)) {
                out.append(decoded);
            } else {
                out.append('%').append(Character.toUpperCase(s.charAt(i + 1))).append(Character.toUpperCase(s.charAt(i + 2)));
            }
            i += 2;
        }
        return out.toString();
    }

    private static boolean isUnreserved(char c) {
        // RFC 3986 §2.3
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** RFC 3986 §5.2.4 on an absolute path; the result starts with '/'. */
    static String removeDotSegments(String path) {
        if (path.startsWith("/") && !path.contains("/.")) {
            return path; // no "." or ".." segment: nothing to remove (the common case, on every request)
        }
        ArrayDeque<String> out = new ArrayDeque<>();
        String[] segments = path.split("/", -1);
        // segments[0] is the empty string before the leading '/'
        for (int i = 1; i < segments.length; i++) {
            String segment = segments[i];
            boolean last = i == segments.length - 1;
            if (segment.equals(".")) {
                if (last) {
                    out.addLast("");
                }
            } else if (segment.equals("..")) {
                out.pollLast();
                if (last) {
                    out.addLast("");
                }
            } else {
                out.addLast(segment);
            }
        }
        StringBuilder result = new StringBuilder();
        for (Iterator<String> it = out.iterator(); it.hasNext(); ) {
            result.append('/').append(it.next());
        }
        return result.isEmpty() ? "/" : result.toString();
    }
}
