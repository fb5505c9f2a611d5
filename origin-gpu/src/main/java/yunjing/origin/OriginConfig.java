package yunjing.origin;

import yunjing.origin.sched.SchedulerConfig;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * Everything one origin node needs; built once by the deploy module from the topology file.
 *
 * @param nodeId           shows in the {@code Server: yunjing-origin/<nodeId>} header of every response
 * @param httpBind         where the OpenAI-compatible API listens (HTTP/1.1 and h2c on one port); port 0 picks one
 * @param models           the models to load and serve; served names must be unique
 * @param inferenceThreads threads that tokenize requests and submit them to the schedulers, never the event
 *                         loops (expected: ≥ 1)
 * @param scheduler        continuous batching, admission control and KV cache knobs, for each model's scheduler
 */
public record OriginConfig(String nodeId, InetSocketAddress httpBind, List<ModelSpec> models, int inferenceThreads,
                           SchedulerConfig scheduler) {

    /** With the scheduler's {@link SchedulerConfig#DEFAULTS}. */
    public OriginConfig(String nodeId, InetSocketAddress httpBind, List<ModelSpec> models, int inferenceThreads) {
        this(nodeId, httpBind, models, inferenceThreads, SchedulerConfig.DEFAULTS);
    }

    public OriginConfig {
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(httpBind, "httpBind");
        models = List.copyOf(models);
        if (inferenceThreads < 1) {
            throw new IllegalArgumentException("inferenceThreads: " + inferenceThreads + " (expected: >= 1)");
        }
    }
}
