package yunjing.deploy.bench.load;

/**
 * One request as a client saw it. Times are nanoseconds from the request's start; -1 when it never got
 * that far.
 *
 * @param path       {@code direct} or {@code mirror}
 * @param workload   {@code metadata}, {@code agent-step} or {@code artifact}
 * @param clients    {@code naive} (new connection per request) or {@code keep-alive}
 * @param ok         a complete, valid answer (status 200/206, full body, SSE ended with [DONE])
 * @param ttfbNanos  until the response head arrived
 * @param ttftNanos  streamed completions: until the first token's event; otherwise -1
 * @param totalNanos until the body was complete (or the failure)
 * @param bytes      body bytes received
 * @param error      why it failed, or null
 * @param startNanos {@link System#nanoTime()} when it started, for throughput over a workload's span
 */
public record Sample(String path, String workload, String clients, boolean ok, long ttfbNanos, long ttftNanos,
                     long totalNanos, long bytes, String error, long startNanos) {
}
