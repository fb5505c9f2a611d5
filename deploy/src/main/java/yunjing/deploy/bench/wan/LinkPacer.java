package yunjing.deploy.bench.wan;

/**
 * The serialization clock of one direction of a link, shared by all its connections: a chunk can leave
 * only when the chunks before it (of any connection) have been sent at the link's rate. This is a token
 * bucket with a bucket of one chunk, which is how a bottleneck link paces a TCP flow.
 *
 * <p>Thread-safe: connections of one link run on several event loops.
 */
final class LinkPacer {
    private final long bitsPerSecond;
    private long busyUntilNanos;

    LinkPacer(long bitsPerSecond) {
        this.bitsPerSecond = bitsPerSecond;
    }

    /** Reserves the link for {@code bytes} from {@code now} on; returns when their last bit has left (nanos). */
    synchronized long reserve(int bytes, long nowNanos) {
        if (bitsPerSecond == 0) {
            return nowNanos;
        }
        long start = Math.max(nowNanos, busyUntilNanos);
        busyUntilNanos = start + bytes * 8L * 1_000_000_000L / bitsPerSecond;
        return busyUntilNanos;
    }
}
