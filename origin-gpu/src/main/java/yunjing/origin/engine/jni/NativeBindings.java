package yunjing.origin.engine.jni;

import java.nio.ByteBuffer;

/**
 * The JNI surface of {@code libyunjing_origin} (src/main/native/src/jni_bridge.cpp). Callers validate every
 * argument first ({@link NativeEngine}); native errors come back as {@link IllegalStateException}.
 */
final class NativeBindings {

    private NativeBindings() {}

    /** Backends compiled into the library, comma-separated ({@code cpu} or {@code cpu,cuda}). */
    static native String compiledBackends();

    /** Null when a CUDA device can be used, else why not. */
    static native String cudaUnavailability();

    /** {@code {used, total}} bytes of the CUDA device (cudaMemGetInfo); throws where CUDA is not compiled in. */
    static native long[] cudaMemoryInfo();

    /**
     * Maps the checkpoint and builds an engine; returns its handle.
     *
     * @param shape hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions
     * @param dtypes 0 = F32, 1 = F16, 2 = BF16, per tensor in {@link NativeModel}'s order
     */
    static native long create(String backend, int[] shape, float eps, boolean qkvBias, float[] invFreq,
                              String[] files, int[] tensorFiles, long[] tensorOffsets, int[] dtypes,
                              long[] tensorElements, int threads);

    static native void destroy(long engine);

    static native long newSequence(long engine, int capacity);

    static native void freeSequence(long engine, long sequence);

    /** A new sequence of {@code capacity} positions holding a copy of the first {@code length} of {@code source}. */
    static native long forkSequence(long engine, long source, int length, int capacity);

    /**
     * One batched step: row r appends {@code ints[r]} to {@code sequences[r]}; then {@code nLogits} row indices
     * follow in {@code ints}, and their logits are written to {@code logits} ({@code nLogits × vocab} floats,
     * native byte order).
     */
    static native void forward(long engine, long[] sequences, int rows, ByteBuffer ints, int nLogits,
                               ByteBuffer logits);
}
