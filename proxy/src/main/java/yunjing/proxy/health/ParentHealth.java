package yunjing.proxy.health;

/**
 * The health of one parent. Thread-safe: written by the probe thread and by event loops reporting
 * connect failures, read by event loops choosing a parent.
 *
 * <p>States: <em>unknown</em> until the first probe answers (counted as down, so that readiness is
 * honest at start), <em>up</em> after one success, <em>down</em> after {@link #FAILURES_TO_DOWN}
 * consecutive failures (the operations figure "3 failures take a node out").
 */
final class ParentHealth {

    static final int FAILURES_TO_DOWN = 3;

    private boolean known;            // @GuardedBy("this")
    private boolean healthy;          // @GuardedBy("this")
    private int consecutiveFailures;  // @GuardedBy("this")

    synchronized void success() {
        known = true;
        consecutiveFailures = 0;
        healthy = true;
    }

    synchronized void failure() {
        known = true;
        if (++consecutiveFailures >= FAILURES_TO_DOWN) {
            healthy = false;
        }
    }

    /** Whether any probe answered or any failure was reported yet. */
    synchronized boolean known() {
        return known;
    }

    synchronized boolean healthy() {
        return healthy;
    }
}
