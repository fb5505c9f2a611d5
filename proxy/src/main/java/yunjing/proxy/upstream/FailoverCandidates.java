package yunjing.proxy.upstream;

import io.netty.channel.ConnectTimeoutException;

import java.util.List;
import java.util.StringJoiner;

/**
 * The parents one exchange may still try, in failover order, and why those tried so far failed. Hands out
 * the next candidate whose circuit breaker lets a request through, or the same parent again (on a fresh
 * connection, without a new breaker permit) for a stale keep-alive connection; once none is left, says why
 * as the {@link UpstreamException} the client sees. Owned by one exchange, on its event loop.
 */
final class FailoverCandidates {

    private final List<UpstreamParent> candidates;
    // Ids only: the reasons end up in the error a client sees, the addresses do not belong there.
    private final StringJoiner reasons = new StringJoiner("; ");
    private int next;
    private int connectAttempts;
    private int connectTimeouts;
    private boolean sameParentAgain;
    private boolean freshConnectionOnly;

    FailoverCandidates(List<UpstreamParent> candidates) {
        this.candidates = candidates;
    }

    /** The next candidate to try, or null when none is left; skipped ones are noted as circuit open. */
    UpstreamParent next() {
        freshConnectionOnly = sameParentAgain;
        sameParentAgain = false;
        while (next < candidates.size()) {
            UpstreamParent candidate = candidates.get(next++);
            // A retry on the same parent's fresh connection is the same attempt: no new breaker permit.
            if (freshConnectionOnly || candidate.breaker().tryAcquire()) {
                return candidate;
            }
            reasons.add(candidate.id() + ": circuit open");
        }
        return null;
    }

    /** Whether the candidate {@link #next} returned must be reached on a fresh connection, not an idle one. */
    boolean freshConnectionOnly() {
        return freshConnectionOnly;
    }

    /** Makes {@link #next} return the candidate it returned last once more, to be reached on a fresh connection. */
    void sameParentAgain() {
        next--;
        sameParentAgain = true;
    }

    /** Connecting to {@code parent} failed; returns whether it timed out. */
    boolean connectFailed(UpstreamParent parent, Throwable cause) {
        connectAttempts++;
        boolean timedOut = cause instanceof ConnectTimeoutException;
        if (timedOut) {
            connectTimeouts++;
        }
        failed(parent, UpstreamException.describe(cause));
        return timedOut;
    }

    /** Notes why {@code parent} did not answer. */
    void failed(UpstreamParent parent, String why) {
        reasons.add(parent.id() + ": " + why);
    }

    /** Why no candidate answered, once {@link #next} returned null. */
    UpstreamException exhausted(boolean hasParents) {
        if (!hasParents) {
            return new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "no parents configured", null);
        } else if (connectAttempts > 0 && connectTimeouts == connectAttempts) {
            return new UpstreamException(UpstreamException.Kind.CONNECT_TIMEOUT,
                    "connecting to parents timed out: " + reasons, null);
        } else if (reasons.length() == 0) {
            return new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "every parent's circuit breaker is open", null);
        }
        return new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "no parent reachable: " + reasons, null);
    }
}
