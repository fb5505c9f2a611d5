package yunjing.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Meters of the OpenAI-compatible API ({@code /v1/}) as one node sees it, on every tier (the timers of an
 * edge include every tier behind it). Thread-safe. Refusals are counted by {@link ProxyMetrics#apiRejected}
 * ({@code yunjing.proxy.api.rejected}, whose {@code reason} tag names the limit of a 429: concurrency,
 * rpm, rpd, tpm).
 *
 * <ul>
 *   <li>{@code yunjing.proxy.api.time.to.first.byte} (timer with histogram buckets; tags
 *       {@code node}, {@code source}: upstream or answer_cache) — from the request head to the first byte of
 *       the response body relayed (for a stream: its first event)</li>
 *   <li>{@code yunjing.proxy.api.duration} (timer, as above) — from the request head to the response's end</li>
 *   <li>{@code yunjing.proxy.api.requests.active} (gauge) — admitted API exchanges not yet ended</li>
 *   <li>{@code yunjing.proxy.api.streams.active} (gauge) — event streams being relayed now</li>
 *   <li>{@code yunjing.proxy.api.cancellations} (counter) — exchanges the client left before their end</li>
 *   <li>{@code yunjing.proxy.api.answer.cache} (counter; tag {@code result}: hit, miss, stored)</li>
 *   <li>{@code yunjing.proxy.api.tokens} (counter) — tokens charged to keys' tokens-per-minute budgets</li>
 * </ul>
 */
public final class ApiMetrics {

    private final MeterRegistry registry;
    private final String nodeId;
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final AtomicInteger activeRequests = new AtomicInteger();
    private final Gauge activeStreamsGauge;
    private final Gauge activeRequestsGauge;
    private final Timer firstByteUpstream;
    private final Timer firstByteCache;
    private final Timer durationUpstream;
    private final Timer durationCache;
    private final Counter cancellations;
    private final TaggedCounters answerCache;
    private final Counter tokens;

    ApiMetrics(MeterRegistry registry, String nodeId) {
        this.registry = registry;
        this.nodeId = nodeId;
        firstByteUpstream = timer("yunjing.proxy.api.time.to.first.byte", "upstream",
                "From the request head to the first response body byte sent to the client");
        firstByteCache = timer("yunjing.proxy.api.time.to.first.byte", "answer_cache",
                "From the request head to the first response body byte sent to the client");
        String duration = "From the request head to the response's end";
        durationUpstream = timer("yunjing.proxy.api.duration", "upstream", duration);
        durationCache = timer("yunjing.proxy.api.duration", "answer_cache", duration);
        activeStreamsGauge = Gauge.builder("yunjing.proxy.api.streams.active", activeStreams, AtomicInteger::get)
                .description("Event streams being relayed to API clients")
                .tag("node", nodeId)
                .register(registry);
        activeRequestsGauge = Gauge.builder("yunjing.proxy.api.requests.active", activeRequests, AtomicInteger::get)
                .description("Admitted API exchanges not yet ended")
                .tag("node", nodeId)
                .register(registry);
        cancellations = Counter.builder("yunjing.proxy.api.cancellations")
                .description("API exchanges the client left before their end")
                .tag("node", nodeId)
                .register(registry);
        answerCache = new TaggedCounters(registry, "yunjing.proxy.api.answer.cache",
                "Answer cache lookups and stores, by result", nodeId, "result");
        tokens = Counter.builder("yunjing.proxy.api.tokens")
                .description("Tokens charged to API keys' tokens-per-minute budgets")
                .tag("node", nodeId)
                .register(registry);
    }

    private Timer timer(String name, String source, String description) {
        return Timer.builder(name)
                .description(description)
                .tags("node", nodeId, "source", source)
                // Histogram buckets, not client-side percentiles: buckets aggregate across nodes
                // (histogram_quantile), and the Prometheus registry exports only one of the two.
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
    }

    public void firstByte(long nanos, boolean fromAnswerCache) {
        (fromAnswerCache ? firstByteCache : firstByteUpstream).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void duration(long nanos, boolean fromAnswerCache) {
        (fromAnswerCache ? durationCache : durationUpstream).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void requestStarted() {
        activeRequests.incrementAndGet();
    }

    public void requestEnded() {
        activeRequests.decrementAndGet();
    }

    public void streamStarted() {
        activeStreams.incrementAndGet();
    }

    public void streamEnded() {
        activeStreams.decrementAndGet();
    }

    public int activeStreams() {
        return activeStreams.get();
    }

    public void cancelled() {
        cancellations.increment();
    }

    /** @param result hit, miss or stored */
    public void answerCache(String result) {
        answerCache.increment(result, 1);
    }

    public void tokens(long count) {
        tokens.increment(count);
    }

    /** Removes the gauges, which would otherwise keep reporting a stopped node. */
    void close() {
        registry.remove(activeStreamsGauge);
        registry.remove(activeRequestsGauge);
    }
}
