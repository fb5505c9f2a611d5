package yunjing.origin.engine;

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

    /** One growing token sequence with its key/value cache. */
    interface Sequence {

        /** Appends {@code tokens} (the prompt) and returns the logits after the last one. */
        float[] prefill(int[] tokens);

        /** Appends one token and returns the logits for the position after it. */
        float[] next(int token);

        /** Tokens appended so far. */
        int length();
    }
}
