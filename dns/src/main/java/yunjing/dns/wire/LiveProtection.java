package yunjing.dns.wire;

import java.util.Objects;

/**
 * The protection limits one set of listeners applies right now. Read on the event loops for every
 * UDP response (the rate limiter) and every accepted TCP connection (the connection limit);
 * {@link #apply} replaces them on reload, so a new limit takes effect with the next packet or
 * connection, without rebinding a socket.
 *
 * <p>A changed rate or slip starts a fresh {@link ResponseRateLimiter} (every block starts with a
 * full bucket, as after a restart); an unchanged one keeps its buckets.
 */
final class LiveProtection {

    private volatile Protection protection;
    private volatile ResponseRateLimiter limiter; // null: RRL off

    LiveProtection(Protection protection) {
        apply(protection);
    }

    synchronized void apply(Protection next) {
        Objects.requireNonNull(next, "protection");
        ResponseRateLimiter now = limiter;
        Protection was = protection;
        if (next.rrlResponsesPerSecond() == 0) {
            now = null;
        } else if (now == null || was.rrlResponsesPerSecond() != next.rrlResponsesPerSecond()
                || was.rrlSlip() != next.rrlSlip()) {
            now = new ResponseRateLimiter(next.rrlResponsesPerSecond(), next.rrlSlip());
        }
        limiter = now;
        protection = next;
    }

    /** The UDP response rate limiter, or null while RRL is off. */
    ResponseRateLimiter limiter() {
        return limiter;
    }

    int maxTcpConnections() {
        return protection.maxTcpConnections();
    }
}
