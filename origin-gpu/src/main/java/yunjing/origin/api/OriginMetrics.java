package yunjing.origin.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * The origin's meters, all named {@code yunjing.origin.*}:
 * <ul>
 *   <li>{@code yunjing.origin.requests} (endpoint, status): every response sent;</li>
 *   <li>{@code yunjing.origin.tokens.generated} (model): every token sampled, including end-of-sequence;</li>
 *   <li>{@code yunjing.origin.time.to.first.token} (model): from the request reaching the server to its first
 *       token, queueing included;</li>
 *   <li>{@code yunjing.origin.completions} (model, finish_reason): finished generations, cancelled ones too.</li>
 *   <li>{@code yunjing.origin.image.parts.dropped} (model): image parts a text-only model set to ignore them
 *       received (never tokenized);</li>
 *   <li>the scheduler's own meters (queue time, inter-token latency, running/waiting, KV blocks, prefix cache):
 *       see {@code yunjing.origin.sched.SchedulerMetrics}.</li>
 * </ul>
 */
final class OriginMetrics {

    static final String REQUESTS = "yunjing.origin.requests";
    static final String TOKENS = "yunjing.origin.tokens.generated";
    static final String TIME_TO_FIRST_TOKEN = "yunjing.origin.time.to.first.token";
    static final String COMPLETIONS = "yunjing.origin.completions";
    static final String IMAGE_PARTS_DROPPED = "yunjing.origin.image.parts.dropped";

    private final MeterRegistry registry;

    OriginMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void request(String endpoint, int status) {
        registry.counter(REQUESTS, "endpoint", endpoint, "status", Integer.toString(status)).increment();
    }

    Counter tokens(String model) {
        return registry.counter(TOKENS, "model", model);
    }

    void timeToFirstToken(String model, long nanos) {
        Timer.builder(TIME_TO_FIRST_TOKEN).tag("model", model)
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(nanos));
    }

    void imagePartsDropped(String model, int parts) {
        registry.counter(IMAGE_PARTS_DROPPED, "model", model).increment(parts);
    }

    void completion(String model, String finishReason) {
        registry.counter(COMPLETIONS, "model", model, "finish_reason", finishReason).increment();
    }
}
