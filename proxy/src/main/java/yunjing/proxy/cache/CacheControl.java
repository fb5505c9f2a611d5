package yunjing.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of the {@code Cache-Control} field lines of one message, parsed once.
 * See https://www.rfc-editor.org/rfc/rfc9111#section-5.2: directive names are case-insensitive, arguments
 * may be tokens or quoted strings, and a directive given twice or with an invalid argument makes the
 * cache treat it conservatively (§4.2.1: duplicate freshness directives → the response is stale).
 */
final class CacheControl {

    static final CacheControl EMPTY = new CacheControl(Map.of());

    /** Value of a directive without argument. */
    private static final String NO_ARGUMENT = "";
    /** Value of a directive that appeared more than once. */
    private static final String DUPLICATE = "\0duplicate";

    private final Map<String, String> directives;

    private CacheControl(Map<String, String> directives) {
        this.directives = directives;
    }

    static CacheControl parse(HttpHeaders headers) {
        var lines = headers.getAll(HttpHeaderNames.CACHE_CONTROL);
        if (lines.isEmpty()) {
            return EMPTY;
        }
        Map<String, String> directives = new HashMap<>();
        for (String line : lines) {
            parseLine(line, directives);
        }
        return new CacheControl(directives);
    }

    static CacheControl parse(String value) {
        Map<String, String> directives = new HashMap<>();
        parseLine(value, directives);
        return new CacheControl(directives);
    }

    private static void parseLine(String line, Map<String, String> into) {
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && (line.charAt(i) == ',' || line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
            int nameStart = i;
            while (i < n && line.charAt(i) != '=' && line.charAt(i) != ',') {
                i++;
            }
            String name = line.substring(nameStart, i).strip().toLowerCase(Locale.ROOT);
            String value = NO_ARGUMENT;
            if (i < n && line.charAt(i) == '=') {
                i++;
                if (i < n && line.charAt(i) == '"') {
                    StringBuilder quoted = new StringBuilder();
                    i++;
                    while (i < n && line.charAt(i) != '"') {
                        if (line.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        quoted.append(line.charAt(i++));
                    }
                    i++; // closing quote
                    value = quoted.toString();
                    while (i < n && line.charAt(i) != ',') {
                        i++;
                    }
                } else {
                    int valueStart = i;
                    while (i < n && line.charAt(i) != ',') {
                        i++;
                    }
                    value = line.substring(valueStart, i).strip();
                }
            }
            if (!name.isEmpty()) {
                into.merge(name, value, (a, b) -> DUPLICATE);
            }
        }
    }

    boolean has(String directive) {
        return directives.containsKey(directive);
    }

    /** Whether the directive is present without an argument. */
    boolean bare(String directive) {
        return NO_ARGUMENT.equals(directives.get(directive)) && directives.get(directive) != DUPLICATE;
    }

    /**
     * The delta-seconds argument of a directive (RFC 9111 §1.2.2): -1 when absent, -2 when present but
     * invalid or duplicated. Values too large saturate at 2^31 as §1.2.2 asks.
     */
    long seconds(String directive) {
        String value = directives.get(directive);
        if (value == null) {
            return -1;
        }
        if (value.isEmpty() || value == DUPLICATE) {
            return -2;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return -2;
            }
        }
        return value.length() > 10 ? 1L << 31 : Math.min(Long.parseLong(value), 1L << 31);
    }

    @Override
    public String toString() {
        return directives.toString();
    }
}
