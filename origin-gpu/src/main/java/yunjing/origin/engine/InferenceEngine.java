package yunjing.origin.engine;

import java.util.List;
import java.util.Optional;

/**
 * Computes next-token logits for token sequences. An engine holds the weights and is shared by all requests;
 * each request gets its own {@link Sequence} with its own key/value cache.
 *
 * <p>Implementations are thread-safe for distinct sequences; a sequence is used by one thread at a time.
 */
public interface InferenceEngine {

    /** Most positions a sequence may hold (the model's {@code max_position_embeddings}). */
    int contextLength();

    /** Size of the logits vector. */
    int vocabSize();

    /** A new, empty sequence that may grow to {@code capacity} tokens (at most {@link #contextLength()}). */
    Sequence newSequence(int capacity);

    /**
     * One batched decode step: appends {@code tokens[i]} to {@code sequences.get(i)} and returns the logits for
     * the position after each, in order. This is the call a scheduler makes once per step; engines that can
     * batch (the native worker) override it so weights are read once for the whole batch, and the default
     * simply advances each sequence in turn. Each sequence must appear at most once.
     */
    default float[][] step(List<? extends Sequence> sequences, int[] tokens) {
        if (sequences.size() != tokens.length) {
            throw new IllegalArgumentException(
                    "step: " + sequences.size() + " sequences but " + tokens.length + " tokens");
        }
        float[][] logits = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            logits[i] = sequences.get(i).next(tokens[i]);
        }
        return logits;
    }

    /**
     * True when {@link #fork} works: the scheduler then reuses the key/value cache of earlier prompts that share a
     * prefix with a new one (agent sessions resend the same growing conversation) instead of prefilling it again.
     */
    default boolean supportsFork() {
        return false;
    }

    /**
     * A new sequence of room {@code capacity} holding a copy of the first {@code length} positions of
     * {@code source}'s key/value cache, as if those tokens had been prefilled into it. {@code source} is left
     * unchanged and must not be appended to concurrently. Only when {@link #supportsFork()}.
     */
    default Sequence fork(Sequence source, int length, int capacity) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot fork sequences");
    }

    /** The accelerator memory this engine runs in; empty for engines that run on the CPU. */
    default Optional<DeviceMemory> deviceMemory() {
        return Optional.empty();
    }

    /** One growing token sequence with its key/value cache. */
    interface Sequence extends AutoCloseable {

        /** Appends {@code tokens} (the prompt) and returns the logits after the last one. */
        float[] prefill(int[] tokens);

        /** Appends one token and returns the logits for the position after it. */
        float[] next(int token);

        /** Tokens appended so far. */
        int length();

        /**
         * Frees the sequence's key/value cache now. A no-op for heap-backed engines; native ones free their
         * off-heap cache here rather than at some later garbage collection. Idempotent.
         */
        @Override
        default void close() {}
    }
}
