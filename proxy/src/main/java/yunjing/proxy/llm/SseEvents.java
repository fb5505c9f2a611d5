package yunjing.proxy.llm;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits a {@code text/event-stream} body, fed in arbitrary pieces, into whole events (the text up to a
 * blank line, WHATWG HTML §9.2.6). Keeps only the unfinished tail, bounded by {@link #MAX_EVENT_BYTES}.
 * Not thread-safe: one per response, on its event loop.
 */
final class SseEvents {

    /** An event longer than this is not an event of a chat completion stream: scanning gives up. */
    static final int MAX_EVENT_BYTES = 1 << 20;

    private static final Pattern LINES = Pattern.compile("\r?\n");

    private final ByteArrayOutputStream tail = new ByteArrayOutputStream();
    private boolean overflowed;
    private byte prev1;   // the last byte appended to the tail
    private byte prev2;   // the one before it

    /**
     * Appends {@code piece} (not consumed: its reader index is unchanged) and returns the events it
     * completed, each with its terminating blank line, in order.
     */
    List<String> feed(ByteBuf piece) {
        if (overflowed) {
            return List.of();
        }
        List<String> events = new ArrayList<>(2);
        // One bulk copy, then a scan of the array: byte-by-byte getByte costs a bounds check each, and a
        // stack trace each under Netty's paranoid leak detection.
        byte[] bytes = new byte[piece.readableBytes()];
        piece.getBytes(piece.readerIndex(), bytes);
        for (byte b : bytes) {
            tail.write(b);
            // A blank line: "\n\n" or "\r\n\r\n" (a lone "\r" line end is allowed but sent by nobody we front).
            if (b == '\n' && (prev1 == '\n' || (prev1 == '\r' && prev2 == '\n'))) {
                events.add(tail.toString(StandardCharsets.UTF_8));
                tail.reset();
                prev1 = 0;
                prev2 = 0;
            } else {
                prev2 = prev1;
                prev1 = b;
            }
        }
        if (tail.size() > MAX_EVENT_BYTES) {
            // Kept for drain(): a caller that rewrites the stream must still pass these bytes on.
            overflowed = true;
        }
        return events;
    }

    /**
     * Whether an event's bytes were too long to follow; no more events come out after that, and
     * {@link #feed} no longer copies anything.
     */
    boolean overflowed() {
        return overflowed;
    }

    /** The bytes of an event not yet ended by a blank line. */
    int pendingBytes() {
        return tail.size();
    }

    /** Takes the unfinished tail (a stream that ended without a final blank line), leaving nothing held. */
    String drain() {
        String rest = tail.toString(StandardCharsets.UTF_8);
        tail.reset();
        return rest;
    }

    /** The joined {@code data:} lines of one event (WHATWG §9.2.6), or null when it has none. */
    static String data(String event) {
        StringBuilder data = null;
        for (String line : LINES.split(event)) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        return data == null ? null : data.toString();
    }
}
