package yunjing.proxy.cache;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A response body that readers follow while it is being filled (read-while-writer): the fill appends
 * the pieces as they arrive from the parent, and each reader takes them in order at its own pace,
 * waiting for the next one when it has caught up.
 *
 * <h2>States</h2>
 * <em>filling</em> → <em>complete</em> (every byte is here) or <em>failed</em> (the fill broke off;
 * readers that have not reached the end get an error).
 *
 * <h2>Threads and memory</h2>
 * One filler thread (the fill's event loop), readers on any event loop; all state is guarded by
 * {@code this}. Pieces are copied into heap arrays that are never modified, so readers wrap them without
 * reference counting: no {@code ByteBuf} is owned by the cache. Wake-ups run outside the lock.
 *
 * <h2>Held-back end</h2>
 * A body that must be checked before it is trusted (a digest named by the response, a slice whose length is
 * checked) is made with {@link #checked()}: while it fills, readers see every piece but the latest one, which
 * they get only once the filler {@link #complete}s it after the check. A body that fails the check
 * {@link #fail}s, so no reader ever receives all of a body that did not pass.
 */
final class GrowingBody {

    /** What {@link #poll} returns when every piece has been read. */
    static final byte[] END = new byte[0];
    /** What {@link #poll} returns when the fill failed before the end. */
    static final byte[] FAILED = new byte[0];

    private final ArrayList<byte[]> pieces = new ArrayList<>();
    private final List<Runnable> wakeups = new ArrayList<>();
    private long length;
    private boolean complete;
    private boolean failed;
    private final boolean holdLast;
    /** The SHA-256 this body was checked to have, or null: only such a body is stored once by digest. */
    private volatile String verifiedSha256;

    GrowingBody() {
        this(false);
    }

    private GrowingBody(boolean holdLast) {
        this.holdLast = holdLast;
    }

    /** A body whose latest piece is held back from readers until it is complete (see above). */
    static GrowingBody checked() {
        return new GrowingBody(true);
    }

    /** A body that is complete already. */
    static GrowingBody completed(List<byte[]> pieces) {
        GrowingBody body = new GrowingBody();
        for (byte[] piece : pieces) {
            body.pieces.add(piece);
            body.length += piece.length;
        }
        body.complete = true;
        return body;
    }

    /** Copies the readable bytes of {@code content}; the caller keeps ownership of it. */
    void append(ByteBuf content) {
        if (!content.isReadable()) {
            return;
        }
        byte[] piece = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), piece);
        List<Runnable> wake;
        synchronized (this) {
            if (complete || failed) {
                return;
            }
            pieces.add(piece);
            length += piece.length;
            wake = drainWakeups();
        }
        wake.forEach(Runnable::run);
    }

    void complete() {
        finish(true);
    }

    /**
     * Records that every byte of this body hashes to {@code sha256} (a {@link DigestCheck} passed, or it was
     * read back from where such a body is stored, {@link DigestBodies}). Set before the body completes.
     */
    void verified(String sha256) {
        verifiedSha256 = sha256;
    }

    /** The SHA-256 recorded by {@link #verified}, or null. */
    String verifiedSha256() {
        return verifiedSha256;
    }

    void fail() {
        finish(false);
    }

    private void finish(boolean success) {
        List<Runnable> wake;
        synchronized (this) {
            if (complete || failed) {
                return;
            }
            complete = success;
            failed = !success;
            wake = drainWakeups();
        }
        wake.forEach(Runnable::run);
    }

    private List<Runnable> drainWakeups() {
        if (wakeups.isEmpty()) {
            return List.of();
        }
        List<Runnable> wake = List.copyOf(wakeups);
        wakeups.clear();
        return wake;
    }

    /**
     * The piece at {@code index}, {@link #END}, {@link #FAILED}, or null when it has not arrived yet:
     * then {@code wakeup} runs (once, on the filler's thread) when something changes.
     */
    synchronized byte[] poll(int index, Runnable wakeup) {
        int visible = complete || !holdLast ? pieces.size() : pieces.size() - 1;
        if (index < visible) {
            return pieces.get(index);
        }
        if (complete) {
            return END;
        }
        if (failed) {
            return FAILED;
        }
        wakeups.add(wakeup);
        return null;
    }

    synchronized long length() {
        return length;
    }

    synchronized boolean isComplete() {
        return complete;
    }

    /** The pieces of a complete body (for refreshing an entry after a 304). */
    synchronized List<byte[]> pieces() {
        return List.copyOf(pieces);
    }
}
