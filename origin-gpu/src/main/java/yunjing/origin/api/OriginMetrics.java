package yunjing.origin.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The origin's meters, all named {@code yunjing.origin.*}:
 * <ul>
 *   <li>{@code yunjing.origin.requests} (endpoint, status): every response sent;</li>
 *   <li>{@code yunjing.origin.tokens.generated} (model): every token sampled, including end-of-sequence;</li>
 *   <li>{@code yunjing.origin.time.to.first.token} (model): from the request reaching the server to its first
 *       token, queueing included;</li>
 *   <li>{@code yunjing.origin.completions} (model, finish_reason): finished generations, cancelled ones too;</li>
 *   <li>{@code yunjing.origin.sequences.running} (gauge): generations under way now; a cancelled one leaves it
 *       as soon as the engine sees its client gone.</li>
 * </ul>
 */
final class OriginMetrics {

    static final String REQUESTS = "yunjing.origin.requests";
    static final String TOKENS = "yunjing.origin.tokens.generated";
    static final String TIME_TO_FIRST_TOKEN = "yunjing.origin.time.to.first.token";
    static final String COMPLETIONS = "yunjing.origin.completions";
    static final String SEQUENCES_RUNNING = "yunjing.origin.sequences.running";

    private final MeterRegistry registry;
    private final AtomicInteger running = new AtomicInteger();

    OriginMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(SEQUENCES_RUNNING, running, AtomicInteger::get)
                .description("Generations under way now").register(registry);
    }

    void sequenceStarted() {
        running.incrementAndGet();
    }

    void sequenceEnded() {
        running.decrementAndGet();
    }

    void request(String endpoint, int status) {
        registry.counter(REQUESTS, "endpoint", endpoint, "status", Integer.toString(status)).increment();
    }

    Counter tokens(String model) {
        return registry.counter(TOKENS, "model", model);
    }

    void timeToFirstToken(String model, long nanos) {
        Timer.builder(TIME_TO_FIRST_TOKEN).tag("model", model).register(registry).record(Duration.ofNanos(nanos));
    }

    void completion(String model, String finishReason) {
        registry.counter(COMPLETIONS, "model", model, "finish_reason", finishReason).increment();
    }
}
