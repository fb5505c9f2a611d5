package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.peers.DigPeer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code yunjing up} as users run it: the packaged jar in its own process, checked with the real
 * {@code dig} and {@code curl}, stopped with SIGTERM. Ephemeral ports, so it can run beside a
 * developer's own {@code yunjing up}.
 */
class UpProcessIT {

    @TempDir
    Path state;

    @Test
    void up_printsTheTable_servesDigAndCurl_andStopsOnSigterm() throws Exception {
        Path jar = Path.of("target", "yunjing.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "packaged jar: " + jar);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process up = new ProcessBuilder(java, "-jar", jar.toString(), "up", "--ephemeral-ports",
                "--state-dir", state.toString()).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Map<String, String[]> table = new ConcurrentHashMap<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                    String[] cells = line.trim().split("\\s+");
                    if (cells.length >= 7 && cells[6].startsWith("ready")) {
                        table.put(cells[0], cells);
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (lines.stream().noneMatch(l -> l.startsWith("OpenAI SDK")) && up.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(up.isAlive(), "up exited early:\n" + String.join("\n", lines));
            assertEquals(8, table.size(), "7 nodes and dns ready:\n" + String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.contains("ca.pem")), "prints the CA path");

            String dnsPort = table.get("dns")[3].replace("/udp+tcp", "");
            if (DigPeer.available() || "true".equals(System.getenv("CI"))) {
                String dig = run("dig", "+time=2", "+tries=1", "+short", "@127.0.0.1", "-p", dnsPort, "api.mirror.test", "A");
                assertTrue(dig.strip().lines().allMatch(l -> l.matches("127\\.0\\.0\\.4[123]")), dig);
            }
            String edgePort = table.get("gz-unicom")[3];
            String curl = run("curl", "-sS", "-N", "-i", "--max-time", "30",
                    "http://127.0.0.42:" + edgePort + "/v1/chat/completions",
                    "-H", "Authorization: Bearer sk-yunjing-local-free", "-H", "Content-Type: application/json",
                    "-d", "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"max_tokens\":16}");
            assertTrue(curl.contains("data: [DONE]"), curl);
            // Either regional: the conversation's rendezvous-hash home (proxy README, Parents).
            assertTrue(curl.toLowerCase().matches("(?s).*via: .*bj-central.*(gz|sh)-regional.*gz-unicom.*"), curl);
        } finally {
            up.toHandle().destroy();  // SIGTERM; Process.destroy() would also close our end of its stdout
            assertTrue(up.waitFor(20, TimeUnit.SECONDS), "stops on SIGTERM");
            reader.join(5000);
        }
        assertTrue(lines.contains("yunjing: stopped"), String.join("\n", lines));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(40, TimeUnit.SECONDS), String.join(" ", command));
        return text;
    }
}
