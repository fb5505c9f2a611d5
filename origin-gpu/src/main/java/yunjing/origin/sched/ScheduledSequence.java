package yunjing.origin.sched;

import yunjing.origin.engine.GenerationState;
import yunjing.origin.engine.InferenceEngine;

/**
 * One request inside the scheduler: its tokens so far, its place in the queue, and while it runs its engine
 * sequence and blocks.
 *
 * <p>Lifecycle: <em>waiting</em> ({@code kv == null}) → <em>prefilling</em> ({@code kv.length() < length}) →
 * <em>decoding</em> (a sampled {@code pending} token to feed) → ended. Preemption sends a running sequence back to
 * waiting without its cache; it is prefilled again (prompt and the tokens generated so far) when readmitted and
 * carries on with the token it had pending, so its output does not change.
 *
 * <p>Confined to the scheduler thread once submitted.
 */
final class ScheduledSequence {

    static final int NONE = -1;

    final GenerationState state;
    final SequenceListener listener;
    final int priority;
    /** Submission order, the tie-break between equal ranks. */
    final long order;
    final long enqueuedNanos;
    final long deadlineNanos;
    /** Room for every token ever fed: the prompt and all but the last generated token. */
    final int capacity;
    /** The prompt, then each generated token once it has been fed to the engine. */
    final int[] tokens;
    int length;
    int pending = NONE;
    InferenceEngine.Sequence kv;
    int blocks;
    boolean admittedOnce;
    long lastTokenNanos;

    ScheduledSequence(GenerationState state, SequenceListener listener, int priority, long order, long nowNanos,
                      long deadlineNanos) {
        this.state = state;
        this.listener = listener;
        this.priority = priority;
        this.order = order;
        this.enqueuedNanos = nowNanos;
        this.deadlineNanos = deadlineNanos;
        int[] prompt = state.request().promptTokens();
        this.capacity = prompt.length + state.request().maxTokens() - 1;
        this.tokens = new int[capacity];
        System.arraycopy(prompt, 0, tokens, 0, prompt.length);
        this.length = prompt.length;
    }

    boolean prefilling() {
        return kv.length() < length;
    }

    /** Tokens left to process before this request is done: unprefilled ones plus the rest of max_tokens. */
    int remainingWork() {
        int unprefilled = length - (kv == null ? 0 : kv.length());
        return unprefilled + state.request().maxTokens() - state.generated();
    }
}
