package yunjing.origin.engine.jni;

import yunjing.origin.ModelLoadException;
import yunjing.origin.engine.DeviceMemory;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.Rope;
import yunjing.origin.model.LlamaConfig;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The native inference worker behind {@link InferenceEngine}: weights mapped and held in C++, one JNI call per
 * batched step ({@link #step}) or prefill chunk, tokens and logits passed in direct buffers.
 *
 * <p>Every argument is validated here before native code sees it (sequence ownership, duplicates, capacity,
 * token range, buffer sizes), so bad input is an {@link IllegalArgumentException} and never a crash.
 *
 * <p>Lifecycle: open → closed. Native memory (the engine and each sequence's key/value cache) is freed by
 * {@link #close()} / {@link NativeSequence#close()}, or by a {@link Cleaner} when the Java object becomes
 * unreachable; closing the engine frees its remaining sequences. Steps are serialised on {@link #state}: the
 * native engine has one thread pool and one set of scratch buffers, and a step already uses every core.
 */
public final class NativeEngine implements InferenceEngine, AutoCloseable {

    /** Positions per prefill call: bounds native scratch memory while sharing weight reads across a chunk. */
    static final int PREFILL_CHUNK = 64;
    private static final Cleaner CLEANER = Cleaner.create();

    private final LlamaConfig config;
    private final String backend;
    private final long bytesPerStep;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    private NativeEngine(LlamaConfig config, String backend, long bytesPerStep, State state) {
        this.config = config;
        this.backend = backend;
        this.bytesPerStep = bytesPerStep;
        this.state = state;
        this.cleanable = CLEANER.register(this, state::destroy);
    }

    /**
     * Maps the checkpoint in {@code directory} (already parsed into {@code config}) on {@code backend}
     * ({@code cpu} or {@code cuda}) with {@code threads} CPU threads.
     */
    public static NativeEngine open(Path directory, LlamaConfig config, String backend, int threads)
            throws ModelLoadException {
        NativeLibrary.ensureAvailability();
        if (threads < 1) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: > 0)");
        }
        NativeModel m = NativeModel.locate(directory, config);
        int[] shape = {config.hiddenSize(), config.intermediateSize(), config.numLayers(), config.numHeads(),
                config.numKvHeads(), config.headDim(), config.vocabSize(), config.maxPositionEmbeddings()};
        long handle;
        try {
            handle = NativeBindings.create(backend, shape, config.rmsNormEps(), config.qkvBias(),
                    new Rope(config).inverseFrequencies(), m.files(), m.tensorFiles(), m.offsets(), m.dtypes(),
                    m.elements(), threads);
        } catch (IllegalStateException e) {
            throw new ModelLoadException(directory + ": native " + backend + " engine: " + e.getMessage(), e);
        }
        return new NativeEngine(config, backend, m.bytesPerStep(), new State(handle));
    }

    /** {@code cpu} or {@code cuda}. */
    public String backend() {
        return backend;
    }

    /** Weight bytes one decode step reads (for roofline estimates). */
    public long bytesPerStep() {
        return bytesPerStep;
    }

    /** Sequences whose native cache is still allocated (for tests and metrics). */
    public int liveSequences() {
        synchronized (state) {
            return state.live.size();
        }
    }

    @Override
    public int contextLength() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public NativeSequence newSequence(int capacity) {
        if (capacity < 1 || capacity > contextLength()) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1.." + contextLength() + ")");
        }
        synchronized (state) {
            state.ensureOpen();
            long seq = NativeBindings.newSequence(state.engine, capacity);
            state.live.add(seq);
            return new NativeSequence(this, state, seq, capacity);
        }
    }

    /** The CUDA device's memory when this engine runs on the {@code cuda} backend; empty on {@code cpu}. */
    @Override
    public Optional<DeviceMemory> deviceMemory() {
        return backend.equals("cuda") ? Optional.of(CudaMemory.INSTANCE) : Optional.empty();
    }

    @Override
    public boolean supportsFork() {
        return true;
    }

    /** Copies the first {@code length} cached positions of {@code source} into a new sequence, natively. */
    @Override
    public NativeSequence fork(Sequence source, int length, int capacity) {
        NativeSequence from = own(source);
        if (capacity < Math.max(1, length) || capacity > contextLength()) {
            throw new IllegalArgumentException("fork: capacity " + capacity + " (expected: " + Math.max(1, length)
                    + ".." + contextLength() + ")");
        }
        synchronized (state) {
            state.ensureOpen();
            from.ensureOpen();
            if (length < 0 || length > from.length()) {
                throw new IllegalArgumentException("fork: length " + length + " (expected: 0.." + from.length() + ")");
            }
            long seq = NativeBindings.forkSequence(state.engine, from.handle, length, capacity);
            state.live.add(seq);
            NativeSequence copy = new NativeSequence(this, state, seq, capacity);
            copy.advance(length);
            return copy;
        }
    }

    @Override
    public float[][] step(List<? extends Sequence> sequences, int[] tokens) {
        if (sequences.size() != tokens.length) {
            throw new IllegalArgumentException("step: " + sequences.size() + " sequences but " + tokens.length
                    + " tokens");
        }
        if (tokens.length == 0) {
            return new float[0][];
        }
        int rows = tokens.length;
        NativeSequence[] seqs = new NativeSequence[rows];
        Map<NativeSequence, Boolean> seen = new IdentityHashMap<>();
        for (int i = 0; i < rows; i++) {
            seqs[i] = own(sequences.get(i));
            if (seen.put(seqs[i], Boolean.TRUE) != null) {
                throw new IllegalArgumentException("step: sequence at index " + i + " appears twice");
            }
            checkToken(tokens[i]);
        }
        int[] logitRows = new int[rows];
        for (int i = 0; i < rows; i++) {
            logitRows[i] = i;
        }
        return forward(seqs, tokens, 0, rows, logitRows);
    }

    /** Appends {@code tokens} to one sequence in chunks; logits after the last token. */
    float[] prefill(NativeSequence seq, int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int t : tokens) {
            checkToken(t);
        }
        float[] logits = null;
        synchronized (state) {
            seq.ensureRoom(tokens.length);
            for (int from = 0; from < tokens.length; from += PREFILL_CHUNK) {
                int n = Math.min(PREFILL_CHUNK, tokens.length - from);
                NativeSequence[] rows = new NativeSequence[n];
                java.util.Arrays.fill(rows, seq);
                boolean last = from + n == tokens.length;
                float[][] out = forward(rows, tokens, from, n, last ? new int[] {n - 1} : new int[0]);
                if (last) {
                    logits = out[0];
                }
            }
        }
        return logits;
    }

    private float[][] forward(NativeSequence[] seqs, int[] tokens, int from, int rows, int[] logitRows) {
        synchronized (state) {
            state.ensureOpen();
            long[] handles = new long[rows];
            Map<NativeSequence, Integer> added = new IdentityHashMap<>();
            for (int r = 0; r < rows; r++) {
                seqs[r].ensureOpen();
                handles[r] = seqs[r].handle;
                added.merge(seqs[r], 1, Integer::sum);
            }
            added.forEach(NativeSequence::ensureRoom);
            ByteBuffer ints = state.ints(rows + logitRows.length);
            for (int r = 0; r < rows; r++) {
                ints.putInt(r * Integer.BYTES, tokens[from + r]);
            }
            for (int j = 0; j < logitRows.length; j++) {
                ints.putInt((rows + j) * Integer.BYTES, logitRows[j]);
            }
            int vocab = config.vocabSize();
            ByteBuffer logits = state.logits((long) logitRows.length * vocab);
            NativeBindings.forward(state.engine, handles, rows, ints, logitRows.length, logits);
            added.forEach(NativeSequence::advance);
            float[][] out = new float[logitRows.length][vocab];
            for (int j = 0; j < logitRows.length; j++) {
                logits.asFloatBuffer().get(j * vocab, out[j], 0, vocab);
            }
            return out;
        }
    }

    private NativeSequence own(Sequence s) {
        if (!(s instanceof NativeSequence ns) || ns.engine != this) {
            throw new IllegalArgumentException("sequence " + s + " was not created by this engine");
        }
        return ns;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token: " + token + " (expected: 0.." + (config.vocabSize() - 1) + ")");
        }
    }

    /** Frees the native engine and every sequence still open on it. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "NativeEngine[" + backend + "]";
    }

    /**
     * The native handles, shared with the cleaners (which must not reach the engine or sequence objects).
     * Guarded by itself.
     */
    static final class State {
        final long engine;
        final Set<Long> live = new HashSet<>();
        private boolean destroyed;
        private ByteBuffer ints = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder());
        private ByteBuffer logits = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder());

        State(long engine) {
            this.engine = engine;
        }

        synchronized void ensureOpen() {
            if (destroyed) {
                throw new IllegalStateException("engine is closed");
            }
        }

        synchronized boolean destroyed() {
            return destroyed;
        }

        synchronized void destroy() {
            if (destroyed) {
                return;
            }
            destroyed = true;
            for (long seq : live) {
                NativeBindings.freeSequence(engine, seq);
            }
            live.clear();
            NativeBindings.destroy(engine);
        }

        synchronized void free(long seq) {
            if (!destroyed && live.remove(seq)) {
                NativeBindings.freeSequence(engine, seq);
            }
        }

        ByteBuffer ints(int count) {
            if (ints.capacity() < count * Integer.BYTES) {
                ints = ByteBuffer.allocateDirect(Math.max(count, 2 * ints.capacity() / Integer.BYTES) * Integer.BYTES)
                        .order(ByteOrder.nativeOrder());
            }
            return ints;
        }

        ByteBuffer logits(long floats) {
            if (floats * Float.BYTES > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("step: " + floats + " logits do not fit one buffer");
            }
            if (logits.capacity() < floats * Float.BYTES) {
                logits = ByteBuffer.allocateDirect((int) floats * Float.BYTES).order(ByteOrder.nativeOrder());
            }
            return logits;
        }
    }
}
