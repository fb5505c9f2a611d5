package yunjing.origin;

import io.netty.channel.ChannelHandler;
import yunjing.origin.sched.SchedulerConfig;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Everything one origin node needs; built once by the deploy module from the topology file.
 *
 * @param nodeId           shows in the {@code Server: yunjing-origin/<nodeId>} header of every response
 * @param httpBind         where the OpenAI-compatible API listens (HTTP/1.1 and h2c on one port); port 0 picks one
 * @param models           the models to load and serve; served names must be unique
 * @param inferenceThreads threads that tokenize requests and submit them to the schedulers, never the event
 *                         loops (expected: ≥ 1)
 * @param scheduler        continuous batching, admission control and KV cache knobs, for each model's scheduler
 * @param frontHandler     null, or makes a handler (one per HTTP/1.1 connection and per HTTP/2 stream) placed before
 *                         the API, after the HTTP codec: it sees {@code HttpRequest}/{@code HttpContent}, answers the
 *                         requests it owns (deploy: sync's artifact store) and passes the rest on to the API
 */
public record OriginConfig(String nodeId, InetSocketAddress httpBind, List<ModelSpec> models, int inferenceThreads,
                           SchedulerConfig scheduler, Supplier<ChannelHandler> frontHandler) {

    /** With the scheduler's {@link SchedulerConfig#DEFAULTS} and no front handler: the API answers every request. */
    public OriginConfig(String nodeId, InetSocketAddress httpBind, List<ModelSpec> models, int inferenceThreads) {
        this(nodeId, httpBind, models, inferenceThreads, SchedulerConfig.DEFAULTS, null);
    }

    /** No front handler: the API answers every request. */
    public OriginConfig(String nodeId, InetSocketAddress httpBind, List<ModelSpec> models, int inferenceThreads,
                        SchedulerConfig scheduler) {
        this(nodeId, httpBind, models, inferenceThreads, scheduler, null);
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
