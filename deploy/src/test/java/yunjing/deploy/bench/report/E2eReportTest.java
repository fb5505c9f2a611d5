package yunjing.deploy.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.bench.load.LoadPlan;
import yunjing.deploy.bench.load.LoadResult;
import yunjing.deploy.bench.load.Sample;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Statistics, goals and the three output formats, from synthetic samples with known answers. */
class E2eReportTest {
    private static final long MS = 1_000_000;

    private static Sample sample(String path, String workload, boolean ok, long totalMs) {
        return new Sample(path, workload, "naive", ok, totalMs * MS / 2, workload.equals("agent-step") ? totalMs * MS / 2 : -1,
                totalMs * MS, 100, ok ? null : "IOException: reset", 0);
    }

    private static LoadResult result() {
        List<Sample> samples = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            samples.add(sample("direct", "metadata", i != 100, 100 * i)); // 100 ms … 9900 ms ok, the last failed
            samples.add(sample("mirror", "metadata", true, i));            // 1 … 100 ms
        }
        samples.add(sample("direct", "artifact", true, 2000));
        samples.add(sample("mirror", "artifact", true, 100));
        samples.add(sample("direct", "agent-step", true, 1000));
        samples.add(sample("mirror", "agent-step", true, 900));
        return new LoadResult(samples, 10_000 * MS, List.of("p -> 127.0.0.42"));
    }

    @Test
    void distribution_usesNearestRankPercentiles() {
        long[] nanos = new long[100];
        for (int i = 0; i < 100; i++) {
            nanos[i] = (i + 1) * MS;
        }
        Distribution d = Distribution.ofNanos(nanos);
        assertEquals(50.5, d.mean(), 1e-9);
        assertEquals(50, d.p50(), 1e-9);
        assertEquals(95, d.p95(), 1e-9);
        assertEquals(99, d.p99(), 1e-9);
        assertTrue(Double.isNaN(Distribution.ofNanos(new long[]{-1}).mean()), "no valid values: NaN");
    }

    @Test
    void goals_compareTheMirrorWithDirectInTheSameRun() {
        E2eReport r = E2eReport.of("test", LoadPlan.quick(), result(), Map.of());
        GroupStats direct = r.group("metadata", "direct", "all");
        assertEquals(99, direct.succeeded());
        assertEquals(5000, direct.total().mean(), 1e-9); // the failure is not in the latencies
        Goal metadata = r.goals().get(0);
        assertEquals(1 - 50.5 / 5000, metadata.measured(), 1e-9);
        assertTrue(metadata.met());
        Goal artifacts = r.goals().get(1);
        assertTrue(artifacts.name().startsWith("cached artifacts"), artifacts.name());
        assertEquals(0.95, artifacts.measured(), 1e-9);
        assertTrue(artifacts.met());
        Goal ttft = r.goals().get(2);
        assertEquals(0.1, ttft.measured(), 1e-9);
        assertFalse(ttft.met());
        Goal success = r.goals().get(3);
        assertEquals(1.0, success.measured(), 1e-9);
        assertEquals(1L, r.failureReasons().get("direct metadata: IOException: reset"));
    }

    @Test
    void writesJsonMarkdownAndReadablePngs(@TempDir Path dir) throws Exception {
        E2eReport r = E2eReport.of("test", LoadPlan.quick(), result(), Map.of());
        JsonReport.write(r, dir.resolve("e2e.json"));
        Charts.write(r, dir);
        String md = MarkdownReport.full(r, "yunjing bench e2e --quick");
        assertTrue(md.contains("| metadata | mean total (ms) | 5000.0 | 50.5 | -99.0 % |"), md);
        assertTrue(md.contains("| artifact | mean total (ms) | 2000.0 | 100.0 | -95.0 % |"), md);
        assertTrue(md.contains("| cached artifacts: mean latency reduction | ≥ 85.0 % | 95.00 % | met"), md);
        assertTrue(Files.readString(dir.resolve("e2e.json")).contains("\"originEgressBytes\""));
        for (String png : List.of("e2e-latency.png", "e2e-first-byte.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
            assertNotNull(image, png);
            assertEquals(1000, image.getWidth());
        }
    }
}
