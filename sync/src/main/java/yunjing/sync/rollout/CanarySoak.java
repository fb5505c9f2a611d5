package yunjing.sync.rollout;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

/**
 * When a canary rollout has proven itself: every canary node has had the canary revision active
 * and been ready, at every look, for {@code soak} in a row. Any look that finds one canary behind,
 * failing or not ready starts the count again, as does a new canary revision. Argo Rollouts and
 * Flagger gate promotion the same way (a pause plus analysis runs); here the analysis is what the
 * nodes report. Kept in memory: after a restart of the control node the soak starts over.
 *
 * <p>Thread-safe.
 */
public final class CanarySoak {

    private record Since(String revision, Instant at) {
    }

    private final Duration soak;
    private final InstantSource clock;
    private final Map<String, Since> healthySince = new HashMap<>();

    public CanarySoak(Duration soak, InstantSource clock) {
        if (soak.isNegative() || soak.isZero()) {
            throw new IllegalArgumentException("soak: " + soak + " (expected: > 0)");
        }
        this.soak = soak;
        this.clock = clock;
    }

    /**
     * One look at {@code repo}'s rollout of {@code canary}: {@code healthy} when every canary node has
     * it active and is ready. True when that has held at every look for the whole soak.
     */
    public synchronized boolean observe(String repo, String canary, boolean healthy) {
        Instant now = clock.instant();
        if (!healthy) {
            healthySince.remove(repo);
            return false;
        }
        Since since = healthySince.get(repo);
        if (since == null || !since.revision().equals(canary)) {
            healthySince.put(repo, new Since(canary, now));
            return false;
        }
        return !now.isBefore(since.at().plus(soak));
    }

    /** How long {@code repo}'s canary has been healthy so far, or null when it is not (or has no rollout). */
    public synchronized Duration healthyFor(String repo) {
        Since since = healthySince.get(repo);
        return since == null ? null : Duration.between(since.at(), clock.instant());
    }

    /** {@code repo} has no rollout in progress (promoted, rolled back): nothing to remember. */
    public synchronized void forget(String repo) {
        healthySince.remove(repo);
    }
}
