package yunjing.proxy.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Date;
import java.util.Locale;

/**
 * Range requests against a stored representation of known length (RFC 9110 §14). Pure functions.
 *
 * <p>Only a single byte range is answered with 206. A range set of more than one range is ignored and
 * the whole representation is sent with 200, which §14.2 allows ("a server MAY ignore the Range header
 * field"); multipart/byteranges is not produced. A Range that is not valid {@code bytes=} syntax is
 * ignored the same way (§14.2).
 */
final class ByteRanges {

    /** What {@link #resolve} returns when the range set cannot be satisfied (416, §15.5.17). */
    static final long[] UNSATISFIABLE = new long[0];

    private ByteRanges() {
    }

    /**
     * The one range {@code {first, last}} (inclusive) that {@code range} selects from a representation of
     * {@code length} bytes, {@link #UNSATISFIABLE}, or null when the Range is to be ignored (send 200).
     */
    static long[] resolve(String range, long length) {
        if (range == null) {
            return null;
        }
        String value = range.strip();
        // §14.1: range-unit is case-insensitive; "bytes=" then a range set.
        if (value.length() < 6 || !value.substring(0, 6).toLowerCase(Locale.ROOT).equals("bytes=")) {
            return null;
        }
        String set = value.substring(6);
        String spec = null;
        for (String element : set.split(",", -1)) {
            String e = element.strip();
            if (e.isEmpty()) {
                continue; // empty list elements are allowed by the #rule (RFC 9110 §5.6.1)
            }
            if (spec != null) {
                return null; // more than one range: whole representation with 200 (see class comment)
            }
            spec = e;
        }
        if (spec == null) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String firstText = spec.substring(0, dash).strip();
        String lastText = spec.substring(dash + 1).strip();
        if (firstText.isEmpty()) {
            // suffix-range "-n" (§14.1.2): the last n bytes; n = 0 or an empty representation: unsatisfiable.
            long n = digits(lastText);
            if (n < 0) {
                return null;
            }
            if (n == 0 || length == 0) {
                return UNSATISFIABLE;
            }
            return new long[] {Math.max(0, length - n), length - 1};
        }
        long first = digits(firstText);
        if (first < 0) {
            return null;
        }
        long last;
        if (lastText.isEmpty()) {
            last = Long.MAX_VALUE; // "a-": to the end
        } else {
            last = digits(lastText);
            if (last < 0 || last < first) {
                return null; // invalid int-range (§14.1.2): ignored
            }
        }
        if (first >= length) {
            return UNSATISFIABLE; // §14.1.2: first-pos must be below the length to be satisfiable
        }
        return new long[] {first, Math.min(last, length - 1)};
    }

    /** 1*DIGIT as a long (saturating at Long.MAX_VALUE), or -1 when not digits. */
    private static long digits(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : n * 10 + (c - '0');
        }
        return n;
    }

    /**
     * Whether an {@code If-Range} condition lets the Range apply (RFC 9110 §13.1.5): absent, a strong
     * entity tag identical to the stored strong ETag, or an HTTP-date equal to the stored Last-Modified.
     * A weak tag never matches; on false the whole representation is sent with 200.
     */
    static boolean ifRangeAllows(HttpHeaders request, HttpHeaders stored) {
        String condition = request.get(HttpHeaderNames.IF_RANGE);
        if (condition == null) {
            return true;
        }
        condition = condition.strip();
        if (condition.startsWith("\"") || condition.startsWith("W/")) {
            String etag = stored.get(HttpHeaderNames.ETAG);
            // Strong comparison (§8.8.3.2): both strong and character-for-character identical.
            return etag != null && condition.startsWith("\"") && etag.strip().equals(condition);
        }
        String lastModified = stored.get(HttpHeaderNames.LAST_MODIFIED);
        if (lastModified == null) {
            return false;
        }
        Date wanted = DateFormatter.parseHttpDate(condition);
        Date have = DateFormatter.parseHttpDate(lastModified);
        return wanted != null && have != null && wanted.getTime() == have.getTime();
    }
}
