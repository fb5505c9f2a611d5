package yunjing.origin.engine.jni;

import yunjing.origin.engine.InferenceEngine;

import java.lang.ref.Cleaner;

/**
 * A sequence whose key/value cache lives in native memory. Lifecycle: open → closed; {@link #close()} frees
 * the cache at once, and a {@link Cleaner} frees it if the sequence is dropped unclosed. Confined to one
 * thread at a time, as {@link InferenceEngine.Sequence} requires; the length is read and advanced under the
 * engine's lock.
 */
public final class NativeSequence implements InferenceEngine.Sequence, AutoCloseable {

    private static final Cleaner CLEANER = Cleaner.create();

    final NativeEngine engine;
    final long handle;
    private final NativeEngine.State state;
    private final int capacity;
    private final Cleaner.Cleanable cleanable;
    private int length;
    private boolean closed;

    NativeSequence(NativeEngine engine, NativeEngine.State state, long handle, int capacity) {
        this.engine = engine;
        this.state = state;
        this.handle = handle;
        this.capacity = capacity;
        this.cleanable = CLEANER.register(this, () -> state.free(handle));
    }

    @Override
    public float[] prefill(int[] tokens) {
        return engine.prefill(this, tokens);
    }

    @Override
    public float[] next(int token) {
        return engine.step(java.util.List.of(this), new int[] {token})[0];
    }

    @Override
    public int length() {
        synchronized (state) {
            return length;
        }
    }

    public int capacity() {
        return capacity;
    }

    void ensureOpen() {
        if (closed || state.destroyed()) {
            throw new IllegalStateException("sequence is closed");
        }
    }

    void ensureRoom(int more) {
        ensureOpen();
        if ((long) length + more > capacity) {
            throw new IllegalStateException("sequence is full: " + capacity + " tokens (has " + length + ", adding "
                    + more + ")");
        }
    }

    void advance(int by) {
        length += by;
    }

    /** Frees the native key/value cache; later use throws. Idempotent. */
    @Override
    public void close() {
        synchronized (state) {
            closed = true;
        }
        cleanable.clean();
    }
}
