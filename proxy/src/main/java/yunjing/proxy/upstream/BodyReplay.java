package yunjing.proxy.upstream;

import io.netty.handler.codec.http.HttpContent;

import java.util.ArrayDeque;

/**
 * Retained duplicates of the request body pieces written to a parent, kept while the request may still
 * be sent again elsewhere. Over HTTP/1.1 that is until the first body byte is written (then the parent
 * may act on it); over h2 until the first response byte, since a REFUSED_STREAM or GOAWAY tells for sure
 * that the parent did not process the stream, even after its body went out — but at most
 * {@link #MAX_BYTES}, beyond which the body cannot be sent again. Owned by one exchange, on its loop.
 */
final class BodyReplay {

    /** More than an API edge's largest chat body (20 MiB), so those can always be sent again. */
    static final long MAX_BYTES = 32L << 20;

    private final ArrayDeque<HttpContent> kept = new ArrayDeque<>();
    private long bytes;
    private boolean lost;

    /** Keeps a duplicate of a piece about to be written. */
    void keep(HttpContent content) {
        if (lost) {
            return;
        }
        bytes += content.content().readableBytes();
        if (bytes > MAX_BYTES) {
            drop();
            lost = true;
            return;
        }
        kept.add(content.retainedDuplicate());
    }

    /** Whether every piece written so far is still here. */
    boolean complete() {
        return !lost;
    }

    /** Puts the kept pieces in front of {@code queue}, in order, and starts over. */
    void moveTo(ArrayDeque<HttpContent> queue) {
        while (!kept.isEmpty()) {
            queue.addFirst(kept.pollLast());
        }
        bytes = 0;
    }

    /** Releases what is kept; the pieces already written can no longer be sent again. */
    void drop() {
        HttpContent content;
        while ((content = kept.poll()) != null) {
            content.release();
        }
        bytes = 0;
    }
}
