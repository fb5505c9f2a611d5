package yunjing.sync.chunk;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bytes {@code [first, last]} of a file (inclusive, as in an HTTP {@code Range}). A list of spans
 * travels in one URL path segment as {@code a-b,c-d,…}, so an agent asks for many spans with one
 * request while the URL still names immutable bytes that tier caches keep (the request line
 * stays well under the 4 KiB a default Netty server codec accepts).
 */
public record ByteSpan(long first, long last) {

    /** Most spans one request may list: 128 spans of 9- to 10-digit offsets fit in about 2.8 KB. */
    public static final int MAX_PER_REQUEST = 128;

    private static final Pattern SPAN = Pattern.compile("(\\d{1,18})-(\\d{1,18})");

    public ByteSpan {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("byte span " + first + "-" + last + " (expected: 0 <= FIRST <= LAST)");
        }
    }

    public long length() {
        return last - first + 1;
    }

    /** The path segment {@code a-b,c-d,…}. */
    public static String format(List<ByteSpan> spans) {
        StringBuilder out = new StringBuilder(spans.size() * 20);
        for (ByteSpan s : spans) {
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(s.first).append('-').append(s.last);
        }
        return out.toString();
    }

    /**
     * Parses a path segment written by {@link #format}: 1 to {@value #MAX_PER_REQUEST} spans in
     * ascending order, none overlapping another (so an answer is never longer than the file).
     */
    public static List<ByteSpan> parse(String segment) {
        String[] parts = segment.split(",", -1);
        if (parts.length > MAX_PER_REQUEST) {
            throw new IllegalArgumentException(parts.length + " byte spans (expected: at most " + MAX_PER_REQUEST + ")");
        }
        List<ByteSpan> spans = new ArrayList<>(parts.length);
        for (String part : parts) {
            Matcher m = SPAN.matcher(part);
            if (!m.matches() || Long.parseLong(m.group(1)) > Long.parseLong(m.group(2))) {
                throw new IllegalArgumentException("byte span '" + part + "' (expected: FIRST-LAST, FIRST <= LAST)");
            }
            ByteSpan span = new ByteSpan(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
            if (!spans.isEmpty() && span.first <= spans.getLast().last) {
                throw new IllegalArgumentException("byte span '" + part + "' overlaps or precedes the one before it"
                        + " (expected: ascending, disjoint spans)");
            }
            spans.add(span);
        }
        return spans;
    }
}
