package yunjing.proxy.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.metrics.ProxyMetrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static AccessEntry entry(int i) {
        return new AccessEntry(1_700_000_000_000L + i, "id-" + i, "::1", "h2", true, "GET", "cdn.test",
                "/a?\"q\"=\n" + i, 200, 10L * i, 1_234_567, -1, "hit", null, "ua \u4e91", i % 2 == 0 ? "k1" : null,
                i % 2 == 0 ? "tiny" : null, "ok");
    }

    @Test
    void linesAreJson_appendedAcrossReopen_andTheFileIsClosed() throws Exception {
        Path file = dir.resolve("sub/dir/node.access.jsonl");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ProxyMetrics metrics = new ProxyMetrics(registry, "n1");
        for (int round = 0; round < 3; round++) {
            AccessLog log = AccessLog.open(file, "n1", metrics);
            for (int i = 0; i < 100; i++) {
                log.log(entry(round * 100 + i));
            }
            log.close();
            log.close();   // idempotent
            assertEquals(0, log.dropped());
            assertEquals(0, openDescriptorsOf(file), "the file is closed once close() returns");
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(300, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode e = JSON.readTree(lines.get(i));
            assertEquals("id-" + i, e.get("request_id").asText());
            assertEquals("n1", e.get("node").asText());
            assertEquals("/a?\"q\"=\n" + i, e.get("target").asText());
            assertEquals("ua \u4e91", e.get("user_agent").asText());
            assertEquals(1.235, e.get("duration_ms").asDouble());
            assertTrue(e.get("ttfb_ms").isNull());
            assertEquals(i % 2 == 0, e.has("key_id"));
            assertEquals(i % 2 == 0, e.has("model"));
        }
        assertEquals("2023-11-14T22:13:20.000Z", JSON.readTree(lines.get(0)).get("time").asText());
    }

    @Test
    void entriesAfterClose_areDroppedAndCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AccessLog log = AccessLog.open(dir.resolve("a.jsonl"), "n1", new ProxyMetrics(registry, "n1"));
        log.close();
        log.log(entry(1));
        log.log(entry(2));
        assertEquals(2, log.dropped());
        assertEquals(2, registry.find("yunjing.proxy.access.log.dropped").counter().count());
        assertTrue(Files.readString(dir.resolve("a.jsonl")).isEmpty());
    }

    @Test
    void off_writesNothing_andAnUnopenableFileIsNamed() {
        assertFalse(AccessLog.OFF.enabled());
        AccessLog.OFF.log(entry(1));
        AccessLog.OFF.close();
        IOException e = assertThrows(IOException.class, () -> AccessLog.open(dir, "n1",
                new ProxyMetrics(new SimpleMeterRegistry(), "n1")));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    /** How many of this process's file descriptors point at {@code file} (Linux /proc). */
    private static long openDescriptorsOf(Path file) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc");
        Path target = file.toRealPath();
        try (Stream<Path> list = Files.list(fds)) {
            return list.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException e) {
                    return false;   // closed meanwhile
                }
            }).count();
        }
    }
}
