package yunjing.origin.sched;

import java.io.Serial;

/**
 * The scheduler will not run a request: it says why and, for overload, when to come back. The API turns it into
 * an OpenAI error with {@code Retry-After}.
 */
public final class RejectedException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Why; each maps to one HTTP status. */
    public enum Reason {
        /** The estimated queue wait exceeds the budget: 429, retry later. */
        QUEUE_BUDGET,
        /** The queue is at its hard cap: 503. */
        QUEUE_FULL,
        /** The scheduler is draining or closed: 503. */
        NOT_ACCEPTING,
        /** The request's deadline passed while it was still queued: 503. */
        DEADLINE,
        /** The request needs more key/value blocks than the whole pool: 400, retrying cannot help. */
        TOO_LARGE
    }

    private final Reason reason;
    private final long retryAfterSeconds;

    RejectedException(Reason reason, long retryAfterSeconds, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() {
        return reason;
    }

    /** Seconds a client should wait before retrying (≥ 1); meaningless for {@link Reason#TOO_LARGE}. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
