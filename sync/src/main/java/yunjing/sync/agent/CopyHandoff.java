package yunjing.sync.agent;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Passes the bytes of local copies from the copying thread to the hashing thread, in file
 * order, so the whole-file SHA-256 covers exactly the bytes that were written without reading
 * them back: a copy written around the page cache ({@link PartWriter}) would otherwise be read
 * again from the disk.
 *
 * <p>A fixed set of buffers circulates: the copier {@link #acquire}s one, fills and writes it,
 * then {@link #publish}es it; the hasher takes published bytes from {@link #head} and
 * {@link #release}s each buffer it has hashed whole. When the hashing stops early (the file
 * fails), {@link #abandon} wakes a copier waiting for a buffer, which then stops.
 *
 * <p>Shared by one copier and one hasher; every method runs under this object's lock.
 */
final class CopyHandoff {

    /** Buffers in circulation: enough for the copier to stay ahead of the hasher. */
    static final int BUFFERS = 4;

    /** Bytes of the file at {@link #offset}: the remaining bytes of {@link #bytes}. */
    static final class Segment {
        private final ByteBuffer buffer;
        private final ByteBuffer bytes;
        private long offset;

        private Segment(ByteBuffer buffer, ByteBuffer bytes, long offset) {
            this.buffer = buffer;
            this.bytes = bytes;
            this.offset = offset;
        }

        long offset() {
            return offset;
        }

        /** The next {@code n} bytes (at most what remains), consumed. */
        ByteBuffer take(long n) {
            int length = (int) Math.min(n, bytes.remaining());
            ByteBuffer piece = bytes.slice(bytes.position(), length);
            bytes.position(bytes.position() + length);
            offset += length;
            return piece;
        }

        boolean isEmpty() {
            return !bytes.hasRemaining();
        }
    }

    private final Deque<ByteBuffer> free = new ArrayDeque<>();
    private final Deque<Segment> published = new ArrayDeque<>();
    private final boolean hashed;
    private boolean abandoned;

    /** Circulates {@code buffers} (each used by one side at a time) between the copier and a hasher. */
    CopyHandoff(List<ByteBuffer> buffers) {
        this(buffers, true);
    }

    private CopyHandoff(List<ByteBuffer> buffers, boolean hashed) {
        free.addAll(buffers);
        this.hashed = hashed;
    }

    /**
     * For a copier with no hasher beside it (the syncing thread copies, then hashes the part file
     * when everything is written): each buffer is free again as soon as it is published.
     */
    static CopyHandoff unhashed(ByteBuffer buffer) {
        return new CopyHandoff(List.of(buffer), false);
    }

    /** A buffer to fill, waiting for the hasher to free one; null once the hashing was abandoned. */
    synchronized ByteBuffer acquire() throws InterruptedIOException {
        while (free.isEmpty() && !abandoned) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while copying local chunks");
            }
        }
        return abandoned ? null : free.removeFirst();
    }

    /** The remaining bytes of {@code bytes} (a view of {@code buffer}) lie at {@code offset} of the file, and are written. */
    synchronized void publish(ByteBuffer buffer, ByteBuffer bytes, long offset) {
        if (!hashed) {
            free.addLast(buffer.clear());
            return;
        }
        Segment last = published.peekLast();
        if (last != null && offset < last.offset + last.bytes.remaining()) {
            throw new IllegalStateException("copy at " + offset + " published out of file order");
        }
        published.addLast(new Segment(buffer, bytes, offset));
    }

    /** The first published segment not hashed whole yet, or null. */
    synchronized Segment head() {
        return published.peekFirst();
    }

    /** The hasher is done with {@code segment} (the head): its buffer goes back to the copier. */
    synchronized void release(Segment segment) {
        if (published.peekFirst() != segment) {
            throw new IllegalStateException("segment at " + segment.offset + " released out of order");
        }
        published.removeFirst();
        free.addLast(segment.buffer.clear());
        notifyAll();
    }

    /** The hashing stopped: a copier waiting for a buffer gets none and stops. */
    synchronized void abandon() {
        abandoned = true;
        notifyAll();
    }

    /** {@code count} buffers, each able to hold {@code bytes} bytes at any offset within one block of {@code alignment}. */
    static List<ByteBuffer> allocate(int count, int bytes, int alignment) {
        List<ByteBuffer> buffers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            buffers.add(ByteBuffer.allocateDirect(bytes + 2 * alignment).alignedSlice(alignment));
        }
        return buffers;
    }
}
