package yunjing.origin.engine;

import yunjing.origin.tokenizer.BpeTokenizer;

/**
 * The autoregressive loop: prefill the prompt, then sample a token, hand its text to the listener, feed it back,
 * until an end-of-sequence token, a stop string, {@code max_tokens}, or cancellation. Runs on the calling thread,
 * which must be an inference thread, never an event loop (a token takes milliseconds to seconds).
 *
 * <p>Cancellation is checked between tokens, so a disconnected client stops costing compute within one token.
 * The per-token work ({@link GenerationState}) is shared with the batching scheduler; this is the one-sequence
 * loop, kept as the simple reference that batched output is tested against.
 */
public final class Generator {

    private final InferenceEngine engine;
    private final BpeTokenizer tokenizer;
    private final int[] eosTokenIds;

    public Generator(InferenceEngine engine, BpeTokenizer tokenizer, int[] eosTokenIds) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.eosTokenIds = eosTokenIds.clone();
    }

    public InferenceEngine engine() {
        return engine;
    }

    /** Fresh per-sequence state for {@code request}: what a scheduler advances one step at a time. */
    public GenerationState newState(GenerationRequest request, TokenListener listener) {
        return new GenerationState(request, listener, tokenizer, eosTokenIds);
    }

    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        int prompt = request.promptTokens().length;
        if (prompt + request.maxTokens() > engine.contextLength()) {
            throw new IllegalArgumentException("prompt " + prompt + " + maxTokens " + request.maxTokens()
                    + " exceeds the context length " + engine.contextLength());
        }
        GenerationState state = newState(request, listener);
        if (listener.cancelled()) {
            return state.end(FinishReason.CANCELLED);
        }
        // The sequence only needs room for tokens that are fed back: the last sampled token never is.
        InferenceEngine.Sequence sequence = engine.newSequence(prompt + request.maxTokens() - 1);
        try (sequence) {
            float[] logits = sequence.prefill(request.promptTokens());
            while (true) {
                if (listener.cancelled()) {
                    return state.end(FinishReason.CANCELLED);
                }
                int token = state.advance(logits);
                if (token == GenerationState.FINISHED) {
                    return state.result();
                }
                logits = sequence.next(token);
            }
        }
    }
}
