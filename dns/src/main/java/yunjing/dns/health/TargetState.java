package yunjing.dns.health;

/**
 * Health of one target, a small state machine with hysteresis: {@code UNKNOWN} (not probed yet,
 * counts as up, so a freshly started server answers at once) → {@code UP} or {@code DOWN}. A target
 * goes down after {@code failuresToMarkDown} consecutive failed probes and comes back after
 * {@code successesToMarkUp} consecutive successes, so a node that flaps does not flap the answers
 * (gdnsd's anti-flap monitoring does the same). From {@code UNKNOWN} one success is enough: it only
 * confirms what was assumed.
 *
 * <p>Confined to the health checker's thread for writes; {@link #healthy()} is read from event
 * loops, hence the volatile.
 */
final class TargetState {

    enum Status { UNKNOWN, UP, DOWN }

    private final int failuresToMarkDown;
    private final int successesToMarkUp;
    private volatile Status status = Status.UNKNOWN;
    private int consecutiveFailures;
    private int consecutiveSuccesses;

    TargetState(int failuresToMarkDown) {
        this(failuresToMarkDown, 1);
    }

    TargetState(int failuresToMarkDown, int successesToMarkUp) {
        if (failuresToMarkDown <= 0) {
            throw new IllegalArgumentException("failuresToMarkDown: " + failuresToMarkDown + " (expected: > 0)");
        }
        if (successesToMarkUp <= 0) {
            throw new IllegalArgumentException("successesToMarkUp: " + successesToMarkUp + " (expected: > 0)");
        }
        this.failuresToMarkDown = failuresToMarkDown;
        this.successesToMarkUp = successesToMarkUp;
    }

    boolean healthy() {
        return status != Status.DOWN;
    }

    Status status() {
        return status;
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Sets the status read back from the state file, before the first probe. */
    void restore(Status restored) {
        status = restored;
    }

    /** Records one probe result; returns the previous status when this result changed it, else null. */
    Status record(boolean success) {
        Status before = status;
        Status after;
        if (success) {
            consecutiveFailures = 0;
            consecutiveSuccesses++;
            after = before != Status.DOWN || consecutiveSuccesses >= successesToMarkUp ? Status.UP : Status.DOWN;
        } else {
            consecutiveSuccesses = 0;
            consecutiveFailures++;
            after = consecutiveFailures >= failuresToMarkDown ? Status.DOWN : before;
        }
        status = after;
        return after == before ? null : before;
    }
}
