package yunjing.proxy.upstream;

import java.util.function.LongSupplier;

/**
 * A circuit breaker for one parent, on top of the health checks: those take a parent out after a few
 * seconds of failed probes, the breaker after {@link #FAILURES_TO_OPEN} consecutive failures on the
 * request path, at once.
 *
 * <p>States (Fowler/Nygard; Armeria's {@code CircuitBreaker} has the same three):
 * <em>closed</em> (requests pass; consecutive failures counted) → after {@link #FAILURES_TO_OPEN} →
 * <em>open</em> (no request passes) → after {@link #OPEN_NANOS} → <em>half-open</em>: one trial
 * request passes; its success closes the breaker, its failure opens it again for another
 * {@link #OPEN_NANOS}. A trial that never reports (its client went away) does not wedge the breaker:
 * another trial is allowed once {@link #OPEN_NANOS} passed since it started.
 *
 * <p>What counts: transport failures (connect refused or timed out, connection lost before the
 * response ended, a malformed response, a first-byte or idle deadline). A response head is a success,
 * whatever its status: a parent relaying its origin's 503 is working.
 *
 * <p>Thread-safe (called from every event loop); the clock is injectable for tests.
 */
final class CircuitBreaker {

    /** The state, as the {@code yunjing.proxy.parent.circuit} gauge reports it. */
    enum State {
        CLOSED(0), HALF_OPEN(1), OPEN(2);

        final int gaugeValue;

        State(int gaugeValue) {
            this.gaugeValue = gaugeValue;
        }
    }

    static final int FAILURES_TO_OPEN = 5;
    static final long OPEN_NANOS = 10_000_000_000L;

    private final LongSupplier nanoTime;
    private State state = State.CLOSED;   // @GuardedBy("this")
    private int consecutiveFailures;      // @GuardedBy("this")
    private long openedAt;                // @GuardedBy("this"), while open
    private long trialStartedAt;          // @GuardedBy("this"), while half-open

    CircuitBreaker(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Whether a request may go to the parent now. In half-open state a true answer is the trial
     * permit, so ask only right before sending.
     */
    synchronized boolean tryAcquire() {
        long now = nanoTime.getAsLong();
        switch (state) {
            case CLOSED -> {
                return true;
            }
            case OPEN -> {
                if (now - openedAt < OPEN_NANOS) {
                    return false;
                }
                state = State.HALF_OPEN;
                trialStartedAt = now;
                return true;
            }
            default -> {
                if (now - trialStartedAt < OPEN_NANOS) {
                    return false;   // a trial is running
                }
                trialStartedAt = now;
                return true;
            }
        }
    }

    /** Whether {@link #tryAcquire} could say yes now, without taking a trial permit. */
    synchronized boolean mayAllow() {
        long now = nanoTime.getAsLong();
        return switch (state) {
            case CLOSED -> true;
            case OPEN -> now - openedAt >= OPEN_NANOS;
            case HALF_OPEN -> now - trialStartedAt >= OPEN_NANOS;
        };
    }

    synchronized void onSuccess() {
        consecutiveFailures = 0;
        state = State.CLOSED;
    }

    synchronized void onFailure() {
        consecutiveFailures++;
        if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= FAILURES_TO_OPEN)) {
            state = State.OPEN;
            openedAt = nanoTime.getAsLong();
        }
    }

    synchronized State state() {
        return state;
    }
}
