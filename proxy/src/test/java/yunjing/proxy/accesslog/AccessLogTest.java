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

    @Test
    void renameThenReopen_newLinesLandInANewFile_noneLostOrSplit() throws Exception {
        Path file = dir.resolve("node.access.jsonl");
        Path rotated = dir.resolve("node.access.jsonl.1");
        AccessLog log = AccessLog.open(file, "n1", new ProxyMetrics(new SimpleMeterRegistry(), "n1"));
        // Lines keep coming while the file is rotated, as on a busy node, until some reached the new file.
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger logged = new java.util.concurrent.atomic.AtomicInteger();
        Thread logger = new Thread(() -> {
            while (!stop.get()) {
                log.log(entry(logged.getAndIncrement()));
                if (logged.get() % 50 == 0) {
                    try {
                        Thread.sleep(1); // at most 50 000 lines/s: the writer keeps up, nothing is dropped
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        logger.start();
        while (!Files.exists(file) || Files.size(file) == 0) {
            Thread.sleep(1);
        }
        Files.move(file, rotated);
        log.reopen();
        assertTrue(Files.exists(file), "reopen made a new file");
        while (Files.size(file) == 0) {
            Thread.sleep(1);
        }
        stop.set(true);
        logger.join();
        int total = logged.get();
        log.close();
        assertEquals(0, log.dropped());

        List<String> old = Files.readAllLines(rotated);
        List<String> fresh = Files.readAllLines(file);
        assertFalse(old.isEmpty());
        assertFalse(fresh.isEmpty(), "lines after the reopen are in the new file");
        assertTrue(Files.readString(rotated).endsWith("\n") && Files.readString(file).endsWith("\n"), "no split line");
        int next = 0;
        for (List<String> lines : List.of(old, fresh)) {
            for (String line : lines) {
                assertEquals("id-" + next, JSON.readTree(line).get("request_id").asText(), "in order, none lost");
                next++;
            }
        }
        assertEquals(total, next);
        assertEquals(0, openDescriptorsOf(file));
        assertEquals(0, openDescriptorsOf(rotated), "the old file is closed by the reopen");
    }

    @Test
    void reopenAll_reopensEveryOpenLog_andAFailedReopenKeepsTheOldFile() throws Exception {
        Path a = dir.resolve("a/a.jsonl");
        Path b = dir.resolve("b/b.jsonl");
        ProxyMetrics metrics = new ProxyMetrics(new SimpleMeterRegistry(), "n1");
        AccessLog logA = AccessLog.open(a, "n1", metrics);
        AccessLog logB = AccessLog.open(b, "n1", metrics);
        try {
            Files.move(a, dir.resolve("a/a.jsonl.1"));
            Files.move(b, dir.resolve("b/b.jsonl.1"));
            assertTrue(AccessLog.reopenAll() >= 2);
            assertTrue(Files.exists(a) && Files.exists(b));

            // The path cannot be opened any more (its directory became a file): the old file keeps the lines.
            Files.move(a, dir.resolve("a/a.jsonl.2"));
            Files.delete(dir.resolve("a/a.jsonl.1"));
            Files.move(dir.resolve("a"), dir.resolve("a-moved"));
            Files.write(dir.resolve("a"), new byte[0]);
            IOException e = assertThrows(IOException.class, logA::reopen);
            assertTrue(e.getMessage().contains(a.toString()), e.getMessage());
            logA.log(entry(7));
        } finally {
            logA.close();
            logB.close();
        }
        assertEquals(1, Files.readAllLines(dir.resolve("a-moved/a.jsonl.2")).size(), "written to the old file");
        logA.reopen(); // closed: nothing to do
    }

    @Test
    void sigusr1_reopensTheLogs() throws Exception {
        assumeTrue(AccessLogSignal.install(), "this JVM lets the process catch SIGUSR1");
        Path file = dir.resolve("s.jsonl");
        AccessLog log = AccessLog.open(file, "n1", new ProxyMetrics(new SimpleMeterRegistry(), "n1"));
        try {
            log.log(entry(0));
            while (Files.size(file) == 0) {
                Thread.sleep(5); // written before the rotation
            }
            Files.move(file, dir.resolve("s.jsonl.1"));
            Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(ProcessHandle.current().pid())).start();
            assertEquals(0, kill.waitFor());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!Files.exists(file) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(Files.exists(file), "the signal reopened the log");
            log.log(entry(1));
        } finally {
            log.close();
        }
        assertEquals(1, Files.readAllLines(dir.resolve("s.jsonl.1")).size());
        assertEquals("id-1", JSON.readTree(Files.readAllLines(file).get(0)).get("request_id").asText());
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
