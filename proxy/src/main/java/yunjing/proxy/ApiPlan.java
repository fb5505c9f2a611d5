package yunjing.proxy;

import java.util.Objects;

/**
 * What one plan allows each of its keys, enforced per key at the edge.
 *
 * @param name              e.g. {@code "free"}; appears in 429 messages
 * @param concurrent        requests of one key in flight at once (&gt; 0)
 * @param requestsPerMinute token bucket of this capacity, refilled at {@code requestsPerMinute / 60} per second (&gt; 0)
 * @param requestsPerDay    requests per calendar day in Asia/Shanghai, reset at 00:00 there (&gt; 0)
 * @param tokensPerMinute   tokens (prompt + completion, as the origin reports them in {@code usage}) per minute,
 *                          a bucket refilled continuously; a request is admitted while the bucket is not
 *                          empty and charged when its answer ends (0 = unlimited; &gt;= 0)
 * @param priority          sent upstream as {@code X-Yunjing-Priority}; higher is more important
 * @param answerCache       whether deterministic chat completions of this plan's keys are answered from the
 *                          edge's answer cache without asking (a request can still opt in or out with
 *                          {@code X-Yunjing-Cache: on|off})
 */
public record ApiPlan(String name, int concurrent, int requestsPerMinute, int requestsPerDay, int tokensPerMinute,
        int priority, boolean answerCache) {

    /** A plan without the answer cache. */
    public ApiPlan(String name, int concurrent, int requestsPerMinute, int requestsPerDay, int tokensPerMinute,
            int priority) {
        this(name, concurrent, requestsPerMinute, requestsPerDay, tokensPerMinute, priority, false);
    }

    public ApiPlan {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: non-blank)");
        }
        if (concurrent <= 0) {
            throw new IllegalArgumentException("plan " + name + ": concurrent: " + concurrent + " (expected: > 0)");
        }
        if (requestsPerMinute <= 0) {
            throw new IllegalArgumentException("plan " + name + ": requestsPerMinute: " + requestsPerMinute
                    + " (expected: > 0)");
        }
        if (requestsPerDay <= 0) {
            throw new IllegalArgumentException("plan " + name + ": requestsPerDay: " + requestsPerDay
                    + " (expected: > 0)");
        }
        if (tokensPerMinute < 0) {
            throw new IllegalArgumentException("plan " + name + ": tokensPerMinute: " + tokensPerMinute
                    + " (expected: >= 0, 0 = unlimited)");
        }
    }
}
