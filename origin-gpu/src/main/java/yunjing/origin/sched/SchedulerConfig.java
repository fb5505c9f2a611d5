package yunjing.origin.sched;

import java.time.Duration;
import java.util.Objects;

/**
 * The scheduler's knobs, one set per origin (each served model gets its own scheduler with these).
 *
 * @param maxBatch           most sequences in the running batch (one engine step advances them all)
 * @param prefillChunkTokens most prompt tokens prefilled per scheduler step, so a long prompt is spread over
 *                           several steps with decode steps of the running streams in between
 * @param kvBlockSize        tokens per key/value cache block
 * @param kvBlocks           blocks in the pool; running sequences and the prefix cache draw from it
 * @param prefixCacheBlocks  most blocks the prefix cache keeps (0 turns prefix reuse off)
 * @param maxWaiting         hard cap on queued requests; past it, 503
 * @param queueBudget        a request whose estimated queue wait exceeds this is refused with 429
 * @param deadline           a request still queued after this gets 503; one still generating is cut short
 * @param agingPerSecond     priority points a waiting request gains per second, so low priority never starves
 */
public record SchedulerConfig(int maxBatch, int prefillChunkTokens, int kvBlockSize, int kvBlocks,
                              int prefixCacheBlocks, int maxWaiting, Duration queueBudget, Duration deadline,
                              double agingPerSecond) {

    /** Serving defaults: batch 16, 256-token prefill chunks, 16-token blocks, a 30 s queue budget. */
    public static final SchedulerConfig DEFAULTS = new SchedulerConfig(16, 256, 16, 8192, 512, 256,
            Duration.ofSeconds(30), Duration.ofMinutes(10), 1.0);

    public SchedulerConfig {
        positive("maxBatch", maxBatch);
        positive("prefillChunkTokens", prefillChunkTokens);
        positive("kvBlockSize", kvBlockSize);
        positive("kvBlocks", kvBlocks);
        positive("maxWaiting", maxWaiting);
        if (prefixCacheBlocks < 0 || prefixCacheBlocks > kvBlocks) {
            throw new IllegalArgumentException("prefixCacheBlocks: " + prefixCacheBlocks + " (expected: 0.."
                    + kvBlocks + ")");
        }
        Objects.requireNonNull(queueBudget, "queueBudget");
        Objects.requireNonNull(deadline, "deadline");
        if (queueBudget.isNegative() || deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("queueBudget: " + queueBudget + ", deadline: " + deadline
                    + " (expected: budget >= 0, deadline > 0)");
        }
        if (!(agingPerSecond >= 0) || Double.isInfinite(agingPerSecond)) {
            throw new IllegalArgumentException("agingPerSecond: " + agingPerSecond + " (expected: >= 0)");
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
        }
    }

    /** Blocks that hold {@code tokens} positions. */
    int blocksFor(int tokens) {
        return (tokens + kvBlockSize - 1) / kvBlockSize;
    }
}
