package yunjing.origin.sched;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.origin.engine.DeviceMemory;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.InferenceEngine;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static yunjing.origin.sched.SchedulerFixture.config;

/**
 * The {@code gpu.memory.*} gauges exist only for an engine on a GPU and read its memory live. The GPU itself is
 * covered by {@code NativeCudaEngineTest} (skipped without one); here an engine reports a device's memory.
 */
class DeviceMemoryMetricsTest {

    @RegisterExtension
    static final SchedulerFixture f = new SchedulerFixture();

    @Test
    void cpuEngine_hasNoGpuMemoryGauges() {
        f.core(config(4, 64, 16, 1024, 0));
        assertNull(f.registry.find("yunjing.origin.gpu.memory.used").gauge());
        assertNull(f.registry.find("yunjing.origin.gpu.memory.total").gauge());
    }

    @Test
    void gpuEngine_gaugesReadTheDeviceMemoryLive_andCloseRemovesThem() {
        AtomicLong used = new AtomicLong(3L << 30);
        DeviceMemory device = new DeviceMemory() {
            @Override
            public long usedBytes() {
                return used.get();
            }

            @Override
            public long totalBytes() {
                return 80L << 30;
            }
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SchedulerMetrics metrics = new SchedulerMetrics(registry, SchedulerFixture.MODEL);
        Generator generator = new Generator(new OnDevice(f.engine, device), f.model.tokenizer(), f.model.eosTokenIds());
        new BatchScheduler(generator, config(4, 64, 16, 1024, 0), f.clock::get, metrics);
        assertEquals(3L << 30, registry.get("yunjing.origin.gpu.memory.used").tag("model", "m").gauge().value());
        assertEquals(80L << 30, registry.get("yunjing.origin.gpu.memory.total").gauge().value());
        used.set(5L << 30);
        assertEquals(5L << 30, registry.get("yunjing.origin.gpu.memory.used").gauge().value(), "read at scrape time");
        metrics.close();
        assertNull(registry.find("yunjing.origin.gpu.memory.used").gauge());
    }

    /** A real engine that says it runs in {@code device}'s memory. */
    private record OnDevice(InferenceEngine engine, DeviceMemory device) implements InferenceEngine {
        @Override
        public int contextLength() {
            return engine.contextLength();
        }

        @Override
        public int vocabSize() {
            return engine.vocabSize();
        }

        @Override
        public Sequence newSequence(int capacity) {
            return engine.newSequence(capacity);
        }

        @Override
        public float[][] step(List<? extends Sequence> sequences, int[] tokens) {
            return engine.step(sequences, tokens);
        }

        @Override
        public Optional<DeviceMemory> deviceMemory() {
            return Optional.of(device);
        }
    }
}
