package yunjing.dns.wire;

/**
 * Abuse limits of the listeners.
 *
 * @param rrlResponsesPerSecond UDP responses per second per client block ({@link ResponseRateLimiter}); 0 = off
 * @param rrlSlip               every {@code rrlSlip}-th rate-limited response goes out truncated (> 0)
 * @param maxTcpConnections     most TCP connections open at once; more are closed on accept (> 0)
 */
public record Protection(int rrlResponsesPerSecond, int rrlSlip, int maxTcpConnections) {

    /** RRL off, slip 2, 1024 TCP connections. */
    public static final Protection DEFAULT = new Protection(0, 2, 1024);

    public Protection {
        if (rrlResponsesPerSecond < 0) {
            throw new IllegalArgumentException("rrlResponsesPerSecond: " + rrlResponsesPerSecond
                    + " (expected: >= 0)");
        }
        if (rrlSlip <= 0) {
            throw new IllegalArgumentException("rrlSlip: " + rrlSlip + " (expected: > 0)");
        }
        if (maxTcpConnections <= 0) {
            throw new IllegalArgumentException("maxTcpConnections: " + maxTcpConnections + " (expected: > 0)");
        }
    }
}
