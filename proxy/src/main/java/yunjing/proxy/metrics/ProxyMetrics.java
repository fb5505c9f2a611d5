package yunjing.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Meters of one proxy node. Thread-safe: updated from every event loop and the health thread.
 *
 * <ul>
 *   <li>{@code yunjing.proxy.requests} (counter; tags {@code node}, {@code status}: 1xx…5xx) — responses
 *       sent to clients, counted when their head is written</li>
 *   <li>{@code yunjing.proxy.upstream.connect.failures} (counter; tags {@code node}, {@code parent})</li>
 *   <li>{@code yunjing.proxy.connections.active} (gauge; tag {@code node}) — open client connections</li>
 *   <li>{@code yunjing.proxy.parent.healthy} (gauge; tags {@code node}, {@code parent}) — 1 or 0</li>
 *   <li>{@code yunjing.proxy.cache.requests} (counter; tags {@code node}, {@code result}: hit, miss, stale,
 *       revalidated, collapsed, bypass) — cache decisions; revalidated counts the 304s that refreshed an
 *       entry (their requests were counted as stale first)</li>
 *   <li>{@code yunjing.proxy.cache.served.bytes} (counter; tags {@code node}, {@code tier}) — body bytes
 *       served from a cache tier</li>
 *   <li>{@code yunjing.proxy.cache.stored.bytes} (gauge; tags {@code node}, {@code tier}) — weighted size</li>
 *   <li>{@code yunjing.proxy.cache.evictions} (counter; tags {@code node}, {@code tier})</li>
 *   <li>{@code yunjing.proxy.api.rejected} (counter; tags {@code node}, {@code reason}: missing_key,
 *       invalid_key, concurrency, rpm, rpd, too_large, invalid_json, unknown_url) — API requests refused at
 *       the edge</li>
 * </ul>
 */
public final class ProxyMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final String nodeId;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final Map<String, Counter> requestsByClass = new ConcurrentHashMap<>();
    private final Map<String, Counter> connectFailuresByParent = new ConcurrentHashMap<>();
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> cacheResults = new ConcurrentHashMap<>();
    private final Map<String, Counter> cacheServed = new ConcurrentHashMap<>();
    private final Map<String, Counter> cacheEvictions = new ConcurrentHashMap<>();
    private final Map<String, Counter> apiRejected = new ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry, String nodeId) {
        this.registry = registry;
        this.nodeId = nodeId;
        gauges.add(Gauge.builder("yunjing.proxy.connections.active", activeConnections, AtomicInteger::get)
                .description("Open client connections")
                .tag("node", nodeId)
                .register(registry));
    }

    /** Registers the health gauge of one parent; {@code healthy} is read on every scrape. */
    public void parentHealth(String parentId, Predicate<String> healthy) {
        gauges.add(Gauge.builder("yunjing.proxy.parent.healthy", () -> healthy.test(parentId) ? 1 : 0)
                .description("1 while the parent passes its health checks")
                .tags("node", nodeId, "parent", parentId)
                .register(registry));
    }

    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    public int activeConnections() {
        return activeConnections.get();
    }

    public void response(int status) {
        String statusClass = (status / 100) + "xx";
        requestsByClass.computeIfAbsent(statusClass, c -> Counter.builder("yunjing.proxy.requests")
                .description("Responses sent to clients, by status class")
                .tags("node", nodeId, "status", c)
                .register(registry)).increment();
    }

    public void connectFailure(String parentId) {
        connectFailuresByParent.computeIfAbsent(parentId, p -> Counter.builder("yunjing.proxy.upstream.connect.failures")
                .description("Failed connection attempts to a parent")
                .tags("node", nodeId, "parent", p)
                .register(registry)).increment();
    }

    public void cacheResult(String result) {
        cacheResults.computeIfAbsent(result, r -> Counter.builder("yunjing.proxy.cache.requests")
                .description("Cache decisions, by result")
                .tags("node", nodeId, "result", r)
                .register(registry)).increment();
    }

    public void cacheServed(String tier, long bytes) {
        cacheServed.computeIfAbsent(tier, t -> Counter.builder("yunjing.proxy.cache.served.bytes")
                .description("Body bytes served from a cache tier")
                .tags("node", nodeId, "tier", t)
                .register(registry)).increment(bytes);
    }

    public void apiRejected(String reason) {
        apiRejected.computeIfAbsent(reason, r -> Counter.builder("yunjing.proxy.api.rejected")
                .description("API requests refused at the edge, by reason")
                .tags("node", nodeId, "reason", r)
                .register(registry)).increment();
    }

    public void cacheEviction(String tier) {
        cacheEvictions.computeIfAbsent(tier, t -> Counter.builder("yunjing.proxy.cache.evictions")
                .description("Entries evicted to keep a tier within its bound")
                .tags("node", nodeId, "tier", t)
                .register(registry)).increment();
    }

    /** Registers the stored-bytes gauge of a tier; {@code bytes} is read on every scrape. */
    public void cacheBytes(String tier, java.util.function.Supplier<Number> bytes) {
        gauges.add(Gauge.builder("yunjing.proxy.cache.stored.bytes", bytes)
                .description("Bytes held by a cache tier")
                .tags("node", nodeId, "tier", tier)
                .register(registry));
    }

    /** Removes the gauges, which would otherwise keep reporting a stopped node. Counters stay. */
    @Override
    public void close() {
        for (Meter gauge : gauges) {
            registry.remove(gauge);
        }
        gauges.clear();
    }
}
