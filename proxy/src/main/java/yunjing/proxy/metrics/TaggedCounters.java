package yunjing.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter name of a node, split by one tag whose values appear at run time (status class,
 * parent, cache result, …), or by none ({@code tag} null: one counter, values ignored); each counter is
 * registered on first use and cached. Thread-safe.
 */
final class TaggedCounters {
    private final MeterRegistry registry;
    private final String name;
    private final String description;
    private final String nodeId;
    private final String tag;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    TaggedCounters(MeterRegistry registry, String name, String description, String nodeId, String tag) {
        this.registry = registry;
        this.name = name;
        this.description = description;
        this.nodeId = nodeId;
        this.tag = tag;
    }

    void increment(String value, double amount) {
        String key = tag == null ? "" : value;
        counters.computeIfAbsent(key, v -> {
            Counter.Builder builder = Counter.builder(name).description(description).tag("node", nodeId);
            return (tag == null ? builder : builder.tag(tag, v)).register(registry);
        }).increment(amount);
    }
}
