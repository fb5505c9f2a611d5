package yunjing.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.testing.ConcurrentDownloads;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory acceptance (issue 3): 8 concurrent downloads of different large objects through an edge whose
 * JVM has a 256 MiB heap. A proxy that held bodies in memory would run out of heap at once; this one keeps
 * a slice or two per reader. CI-sized at 8 × 256 MiB (2 GiB through the edge and its disk tier);
 * {@code -Dyunjing.test.memory.bytes=2147483648} runs the 8 × 2 GiB.
 */
class ProxyMemoryTest {

    private static final long BYTES = Long.getLong("yunjing.test.memory.bytes", 256L << 20);

    @TempDir
    Path disk;

    @TempDir
    Path logs;

    @Test
    void eightConcurrentLargeDownloads_runInA256MiBHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = logs.resolve("downloads.log"); // a file, not a pipe: a full pipe would stall the child
        Process process = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseG1GC",
                "-cp", System.getProperty("java.class.path"), ConcurrentDownloads.class.getName(),
                "8", Long.toString(BYTES), disk.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        String output;
        try {
            boolean exited = process.waitFor(10, TimeUnit.MINUTES);
            output = Files.readString(log);
            assertTrue(exited, "the downloads finished in time: " + output);
        } finally {
            process.destroyForcibly();
        }
        List<String> lines = output.lines().toList();
        assertEquals(0, process.exitValue(), "the download process failed:\n" + output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("ok heap-after-gc=")), output);
        System.out.println("ProxyMemoryTest: 8 x " + BYTES + " bytes: " + lines.getLast());
    }
}
