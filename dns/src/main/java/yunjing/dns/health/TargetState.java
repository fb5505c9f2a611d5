package yunjing.dns.health;

/**
 * Health of one target, a small state machine: {@code UNKNOWN} (not probed yet, counts as up, so a
 * freshly started server answers at once) → {@code UP} or {@code DOWN}. A target goes down after
 * {@code failuresToMarkDown} consecutive failed probes and comes back after one success.
 *
 * <p>Confined to the health checker's thread for writes; {@link #healthy()} is read from event
 * loops, hence the volatile.
 */
final class TargetState {

    enum Status { UNKNOWN, UP, DOWN }

    private final int failuresToMarkDown;
    private volatile Status status = Status.UNKNOWN;
    private int consecutiveFailures;

    TargetState(int failuresToMarkDown) {
        if (failuresToMarkDown <= 0) {
            throw new IllegalArgumentException("failuresToMarkDown: " + failuresToMarkDown + " (expected: > 0)");
        }
        this.failuresToMarkDown = failuresToMarkDown;
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

    /** Records one probe result; returns the previous status when this result changed it, else null. */
    Status record(boolean success) {
        Status before = status;
        Status after;
        if (success) {
            consecutiveFailures = 0;
            after = Status.UP;
        } else {
            consecutiveFailures++;
            after = consecutiveFailures >= failuresToMarkDown ? Status.DOWN : before;
        }
        status = after;
        return after == before ? null : before;
    }
}
