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
 * </ul>
 */
public final class ProxyMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final String nodeId;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final Map<String, Counter> requestsByClass = new ConcurrentHashMap<>();
    private final Map<String, Counter> connectFailuresByParent = new ConcurrentHashMap<>();
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();

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

    /** Removes the gauges, which would otherwise keep reporting a stopped node. Counters stay. */
    @Override
    public void close() {
        for (Meter gauge : gauges) {
            registry.remove(gauge);
        }
        gauges.clear();
    }
}
