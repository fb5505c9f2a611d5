package yunjing.origin.engine;

import yunjing.origin.tokenizer.BpeTokenizer;
import yunjing.origin.tokenizer.StreamingDecoder;

import java.util.SplittableRandom;

/**
 * What one sequence carries between decode steps besides its key/value cache: its sampler (and random state),
 * streaming text decoder, stop-string matcher and token count. Given the logits after the latest token, it samples
 * the next one, hands its text to the listener and says whether generation goes on.
 *
 * <p>Shared by {@link Generator} (one sequence, one thread) and the scheduler (a batch, one step at a time), so a
 * sequence produces the same tokens whichever runs it. Confined to the thread advancing it.
 */
public final class GenerationState {

    /** Returned by {@link #advance} when generation has ended; {@link #result()} says why. */
    public static final int FINISHED = -1;

    private final GenerationRequest request;
    private final TokenListener listener;
    private final int[] eosTokenIds;
    private final Sampler sampler;
    private final StreamingDecoder decoder;
    private final StopMatcher stops;
    private int generated;
    private GenerationResult result;

    GenerationState(GenerationRequest request, TokenListener listener, BpeTokenizer tokenizer, int[] eosTokenIds) {
        this.request = request;
        this.listener = listener;
        this.eosTokenIds = eosTokenIds;
        SplittableRandom random = request.seed().isPresent()
                ? new SplittableRandom(request.seed().getAsLong()) : new SplittableRandom();
        this.sampler = new Sampler(request.temperature(), request.topP(), random);
        this.decoder = new StreamingDecoder(tokenizer);
        this.stops = new StopMatcher(request.stop());
    }

    public GenerationRequest request() {
        return request;
    }

    public TokenListener listener() {
        return listener;
    }

    /** Tokens sampled so far. */
    public int generated() {
        return generated;
    }

    /** Why generation ended; null while it goes on. */
    public GenerationResult result() {
        return result;
    }

    /**
     * Samples the token after {@code logits}, passes its text to the listener, and returns it (to be fed back), or
     * {@link #FINISHED} at an end-of-sequence token, a stop string or {@code max_tokens}.
     */
    public int advance(float[] logits) {
        if (result != null) {
            throw new IllegalStateException("generation already ended: " + result.finishReason());
        }
        int token = sampler.sample(logits);
        generated++;
        if (!request.ignoreEos() && isEos(token)) {
            String tail = stops.push(decoder.finish());
            listener.onToken(tail + stops.flush());
            return finish(FinishReason.STOP);
        }
        String text = stops.push(decoder.push(token));
        if (stops.stopped()) {
            listener.onToken(text);
            return finish(FinishReason.STOP);
        }
        if (generated == request.maxTokens()) {
            listener.onToken(text + stops.push(decoder.finish()) + stops.flush());
            return finish(stops.stopped() ? FinishReason.STOP : FinishReason.LENGTH);
        }
        listener.onToken(text);
        return token;
    }

    /** Ends generation early (cancelled, deadline passed) without emitting anything more. */
    public GenerationResult end(FinishReason reason) {
        if (result == null) {
            result = new GenerationResult(request.promptTokens().length, generated, reason);
        }
        return result;
    }

    private int finish(FinishReason reason) {
        end(reason);
        return FINISHED;
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
