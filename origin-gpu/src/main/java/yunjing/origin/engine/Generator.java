package yunjing.origin.engine;

import yunjing.origin.tokenizer.BpeTokenizer;
import yunjing.origin.tokenizer.StreamingDecoder;

import java.util.SplittableRandom;

/**
 * The autoregressive loop: prefill the prompt, then sample a token, hand its text to the listener, feed it back,
 * until an end-of-sequence token, a stop string, {@code max_tokens}, or cancellation. Runs on the calling thread,
 * which must be an inference thread, never an event loop (a token takes milliseconds to seconds).
 *
 * <p>Cancellation is checked between tokens, so a disconnected client stops costing compute within one token.
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

    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        int prompt = request.promptTokens().length;
        if (prompt + request.maxTokens() > engine.contextLength()) {
            throw new IllegalArgumentException("prompt " + prompt + " + maxTokens " + request.maxTokens()
                    + " exceeds the context length " + engine.contextLength());
        }
        if (listener.cancelled()) {
            return new GenerationResult(prompt, 0, FinishReason.CANCELLED);
        }
        SplittableRandom random = request.seed().isPresent()
                ? new SplittableRandom(request.seed().getAsLong()) : new SplittableRandom();
        Sampler sampler = new Sampler(request.temperature(), request.topP(), random);
        StreamingDecoder decoder = new StreamingDecoder(tokenizer);
        StopMatcher stops = new StopMatcher(request.stop());

        // The sequence only needs room for tokens that are fed back: the last sampled token never is.
        InferenceEngine.Sequence sequence = engine.newSequence(prompt + request.maxTokens() - 1);
        try {
            float[] logits = sequence.prefill(request.promptTokens());
            int generated = 0;
            while (true) {
                if (listener.cancelled()) {
                    return new GenerationResult(prompt, generated, FinishReason.CANCELLED);
                }
                int token = sampler.sample(logits);
                generated++;
                if (!request.ignoreEos() && isEos(token)) {
                    String tail = stops.push(decoder.finish());
                    listener.onToken(tail + stops.flush());
                    return new GenerationResult(prompt, generated, FinishReason.STOP);
                }
                String text = stops.push(decoder.push(token));
                if (stops.stopped()) {
                    listener.onToken(text);
                    return new GenerationResult(prompt, generated, FinishReason.STOP);
                }
                if (generated == request.maxTokens()) {
                    listener.onToken(text + stops.push(decoder.finish()) + stops.flush());
                    return new GenerationResult(prompt, generated,
                            stops.stopped() ? FinishReason.STOP : FinishReason.LENGTH);
                }
                listener.onToken(text);
                logits = sequence.next(token);
            }
        } finally {
            // Native sequences hold their key/value cache off-heap: free it now rather than at some GC.
            if (sequence instanceof AutoCloseable closeable) {
                free(closeable);
            }
        }
    }

    private static void free(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot free sequence: " + e.getMessage(), e);
        }
    }

    private boolean isEos(int token) {
        for (int id : eosTokenIds) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }
}
