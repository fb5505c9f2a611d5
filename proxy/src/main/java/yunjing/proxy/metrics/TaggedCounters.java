package yunjing.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter name of a node, split by one tag whose values appear at run time (status class,
 * parent, cache result, …); each counter is registered on first use and cached. Thread-safe.
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
        counters.computeIfAbsent(value, v -> Counter.builder(name)
                .description(description)
                .tags("node", nodeId, tag, v)
                .register(registry)).increment(amount);
    }
}
