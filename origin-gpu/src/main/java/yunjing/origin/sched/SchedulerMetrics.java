package yunjing.origin.sched;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The scheduler's meters, modelled on vLLM's ({@code vllm:num_requests_running}, {@code vllm:kv_cache_usage_perc},
 * {@code vllm:prefix_cache_hits} …), all tagged {@code model} and named {@code yunjing.origin.*}:
 * <ul>
 *   <li>gauges {@code sequences.running}, {@code sequences.waiting}, {@code kv.blocks.used},
 *       {@code kv.blocks.total}, {@code prefix.cache.blocks}, {@code tokens.per.second} (prefill + decode tokens
 *       per second of step time, moving average), {@code prefix.cache.hit.rate} (hit ÷ queried prompt tokens);</li>
 *   <li>gauges {@code gpu.memory.used} and {@code gpu.memory.total} (bytes, cudaMemGetInfo), only when the engine
 *       runs on a GPU ({@code InferenceEngine.deviceMemory()});</li>
 *   <li>histograms (timers) {@code queue.time} (submission to admission) and {@code inter.token.latency};</li>
 *   <li>counters {@code prefix.cache.queries} and {@code prefix.cache.hits} (prompt tokens looked up / found),
 *       {@code prompt.tokens.prefilled}, {@code preemptions}, {@code rejections} (reason).</li>
 * </ul>
 * Time to first token is measured at the API ({@code yunjing.origin.time.to.first.token}), from the request's
 * arrival.
 */
final class SchedulerMetrics implements AutoCloseable {

    static final String PREFIX = "yunjing.origin.";

    private final MeterRegistry registry;
    private final String model;
    private final List<Gauge> gauges = new ArrayList<>();
    private final Timer queueTime;
    private final Timer interTokenLatency;
    private final Counter prefixQueries;
    private final Counter prefixHits;
    private final Counter prefilled;
    private final Counter preemptions;

    SchedulerMetrics(MeterRegistry registry, String model) {
        this.registry = registry;
        this.model = model;
        queueTime = timer("queue.time", "Time from submission to a place in the running batch");
        interTokenLatency = timer("inter.token.latency", "Time between consecutive tokens of one sequence");
        prefixQueries = counter("prefix.cache.queries", "Prompt tokens looked up in the prefix cache");
        prefixHits = counter("prefix.cache.hits", "Prompt tokens found in the prefix cache (not prefilled)");
        prefilled = counter("prompt.tokens.prefilled", "Prompt tokens run through the engine");
        preemptions = counter("preemptions", "Running sequences sent back to the queue for lack of KV blocks");
    }

    /**
     * Gauges read one scheduler's state, so the newest scheduler of a model takes them over (a model reloaded
     * while the old scheduler finishes its streams); counters and timers are shared by both and keep counting.
     */
    void gauge(String name, String description, Supplier<Number> value) {
        Gauge previous = registry.find(PREFIX + name).tag("model", model).gauge();
        if (previous != null) {
            registry.remove(previous);
        }
        gauges.add(Gauge.builder(PREFIX + name, value).description(description).tag("model", model)
                .strongReference(true).register(registry));
    }

    private Timer timer(String name, String description) {
        return Timer.builder(PREFIX + name).description(description).tag("model", model)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2)).register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(PREFIX + name).description(description).tag("model", model).register(registry);
    }

    void queued(long nanos) {
        queueTime.record(Duration.ofNanos(nanos));
    }

    void interToken(long nanos) {
        interTokenLatency.record(Duration.ofNanos(nanos));
    }

    void prefixLookup(int promptTokens, int hitTokens) {
        prefixQueries.increment(promptTokens);
        prefixHits.increment(hitTokens);
    }

    double prefixHitRate() {
        double q = prefixQueries.count();
        return q == 0 ? 0 : prefixHits.count() / q;
    }

    void prefilled(int tokens) {
        prefilled.increment(tokens);
    }

    void preempted() {
        preemptions.increment();
    }

    void rejected(RejectedException.Reason reason) {
        registry.counter(PREFIX + "rejections", "model", model, "reason",
                reason.name().toLowerCase(java.util.Locale.ROOT)).increment();
    }

    /** Removes this scheduler's gauges (unless a newer scheduler of the model took them over). */
    @Override
    public void close() {
        for (Gauge g : gauges) {
            Meter current = registry.find(g.getId().getName()).tags(g.getId().getTags()).gauge();
            if (current == g) {
                registry.remove(g);
            }
        }
    }
}
