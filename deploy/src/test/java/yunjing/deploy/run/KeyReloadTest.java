package yunjing.deploy.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.topology.TopologyLoader;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keys added to the topology file work within seconds, without a restart; a broken edit changes nothing. */
class KeyReloadTest {

    @TempDir
    Path tmp;

    private static String sha256(String key) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    private static int models(HttpClient http, RunningRole edge, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + Endpoints.hostPort(edge.http()) + "/v1/models"))
                        .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void awaitStatus(HttpClient http, RunningRole edge, String key, int expected) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        while ((status = models(http, edge, key)) != expected) {
            assertTrue(System.nanoTime() < deadline, "still " + status + " for " + key + " after 10 s (expected " + expected + ")");
            Thread.sleep(200);
        }
    }

    @Test
    void keyAddedToTheTopologyFile_worksWithoutRestart_andABrokenEditKeepsTheOldKeys() throws Exception {
        String text;
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path file = tmp.resolve("topology.yaml");
        Files.writeString(file, text);
        try (MirrorNetwork network = MirrorNetwork.startAll(TopologyLoader.load(file), new StateDir(tmp.resolve("state")),
                RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)));
             HttpClient http = HttpClient.newHttpClient()) {
            network.awaitReady(Duration.ofSeconds(60));
            RunningRole edge = network.role("gz-unicom").orElseThrow();
            assertEquals(200, models(http, edge, "sk-yunjing-local-free"));
            assertEquals(401, models(http, edge, "sk-team-new-0001"));

            Files.writeString(file, text + "  - { id: team-new, plan: pro, sha256: " + sha256("sk-team-new-0001") + " }\n");
            awaitStatus(http, edge, "sk-team-new-0001", 200);

            Files.writeString(file, text.replace("parents: [gz-regional, sh-regional]", "parents: [nowhere]"));
            Thread.sleep(4500);  // two reload periods: the broken file has been read and refused
            assertEquals(200, models(http, edge, "sk-team-new-0001"), "a file that does not validate changes nothing");
        }
    }
}
