package yunjing.origin.sched;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Two schedulers of one model on one registry (a reload): the newer owns the gauges, counters are shared. */
class SchedulerMetricsTest {

    @Test
    void newerScheduler_takesOverTheGauges_andOlderCloseLeavesThem() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SchedulerMetrics old = new SchedulerMetrics(registry, "m");
        old.gauge("kv.blocks.total", "total", () -> 10);
        SchedulerMetrics fresh = new SchedulerMetrics(registry, "m");
        fresh.gauge("kv.blocks.total", "total", () -> 20);
        assertEquals(20, registry.get("yunjing.origin.kv.blocks.total").gauge().value());

        old.prefixLookup(8, 4);
        fresh.prefixLookup(8, 0);
        assertEquals(16, registry.get("yunjing.origin.prefix.cache.queries").counter().count(), "one counter");

        old.close();
        assertEquals(20, registry.get("yunjing.origin.kv.blocks.total").gauge().value());
        fresh.close();
        assertNull(registry.find("yunjing.origin.kv.blocks.total").gauge());
    }
}
