package yunjing.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.common.net.EventLoops;
import yunjing.deploy.run.ArtifactServer;
import yunjing.sync.store.ArtifactStore;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code yunjing sync keygen|publish|pull|follow} against an in-process {@link ArtifactServer} on port 0. */
class SyncCommandTest {

    @TempDir
    Path tmp;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** A key pair in {@code keys}, {@code weights} as {@code src}/model.bin published to {@code origin}; the publish command line. */
    private static String[] keygenAndPublish(Path keys, Path src, Path origin, byte[] weights) throws Exception {
        assertEquals("0", run("sync", "keygen", "--out", keys.toString())[0]);
        Files.createDirectories(src);
        Files.write(src.resolve("model.bin"), weights);
        String[] publish = {"sync", "publish", "--store", origin.toString(), "--key", keys.resolve("manifest-key.pem").toString(),
                "--public-key", keys.resolve("manifest-key.pub.pem").toString(), "--repo", "acme/m", src.toString()};
        assertEquals("0", run(publish)[0]);
        return publish;
    }

    @Test
    void keygenPublishPull_replicatesASignedRevision_thenPullsOnlyTheChange() throws Exception {
        Path keys = tmp.resolve("keys");
        Path src = tmp.resolve("src");
        Path origin = tmp.resolve("origin");
        byte[] weights = randomBytes(2 << 20, 9);
        String[] publish = keygenAndPublish(keys, src, origin, weights);

        EventLoops loops = EventLoops.create(1, "sync-cli-test");
        try (ArtifactServer server = ArtifactServer.start(new ArtifactStore(origin), new InetSocketAddress("127.0.0.1", 0), loops)) {
            String from = "http://127.0.0.1:" + server.address().getPort() + "/";
            String[] pull = {"sync", "pull", "--from", from, "--store", tmp.resolve("replica").toString(),
                    "--public-key", keys.resolve("manifest-key.pub.pem").toString(), "--repo", "acme/m"};
            String[] first = run(pull);
            assertEquals("0", first[0], first[2]);
            JsonNode stats = new ObjectMapper().readTree(first[1]);
            assertEquals(weights.length, stats.get("bytesFetched").asLong());

            weights[1000] ^= 1; // one changed byte: one chunk to fetch
            Files.write(src.resolve("model.bin"), weights);
            assertEquals("0", run(publish)[0]);
            String[] second = run(pull);
            assertEquals("0", second[0], second[2]);
            JsonNode delta = new ObjectMapper().readTree(second[1]);
            assertEquals(2, delta.get("version").asLong());
            assertTrue(delta.get("bytesFetched").asLong() < weights.length / 4, second[1]);
            Path active = tmp.resolve("replica/repos/acme/m/revisions").resolve(delta.get("revision").asText());
            assertArrayEquals(weights, Files.readAllBytes(active.resolve("model.bin")));
        } finally {
            loops.close();
        }
    }

    @Test
    void pull_withAnotherKey_isRefusedWithExitCode2() throws Exception {
        Path keys = tmp.resolve("keys");
        Path other = tmp.resolve("other");
        run("sync", "keygen", "--out", keys.toString());
        run("sync", "keygen", "--out", other.toString());
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("a.json"), "{}");
        Path origin = tmp.resolve("origin");
        run("sync", "publish", "--store", origin.toString(), "--key", keys.resolve("manifest-key.pem").toString(),
                "--public-key", keys.resolve("manifest-key.pub.pem").toString(), "--repo", "acme/m", src.toString());
        EventLoops loops = EventLoops.create(1, "sync-cli-test");
        try (ArtifactServer server = ArtifactServer.start(new ArtifactStore(origin), new InetSocketAddress("127.0.0.1", 0), loops)) {
            String[] r = run("sync", "pull", "--from", "http://127.0.0.1:" + server.address().getPort() + "/",
                    "--store", tmp.resolve("replica").toString(), "--public-key", other.resolve("manifest-key.pub.pem").toString(),
                    "--repo", "acme/m");
            assertEquals("2", r[0]);
            assertTrue(r[2].contains("acme/m@main"), r[2]);
            assertTrue(Files.notExists(tmp.resolve("replica/repos/acme/m/refs/main")), "nothing activated");
        } finally {
            loops.close();
        }
    }

    @Test
    void pull_withABadRateConcurrencyOrProgress_isAUsageErrorWithExitCode2() {
        String[] base = {"sync", "pull", "--from", "http://127.0.0.1:9/", "--store", tmp.resolve("replica").toString(),
                "--public-key", "AAAA", "--repo", "acme/m"};
        String[][] cases = {{"--limit-rate", "fast"}, {"--concurrency", "0"}, {"--progress", "fancy"}, {"--max-clock-skew", "-1"},
                {"--ranges", "all"}, {"--keep-revisions", "-1"}};
        String[] expected = {"expected: bytes per second", "--concurrency: 0 (expected: 1 to 64)", "--progress: fancy",
                "--max-clock-skew: -1", "--ranges: all", "--keep-revisions: -1"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(cases[i]))
                    .toArray(String[]::new);
            String[] r = run(args);
            assertEquals("2", r[0], String.join(" ", cases[i]));
            assertTrue(r[2].contains(expected[i]), r[2]);
            assertTrue(Files.notExists(tmp.resolve("replica/repos")), "nothing written");
        }
        String[] follow = base.clone();
        follow[1] = "follow";
        String[] r = run(java.util.stream.Stream.concat(java.util.Arrays.stream(follow), java.util.stream.Stream.of("--interval", "0"))
                .toArray(String[]::new));
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--interval: 0.0 (expected: 0.01 seconds or more)"), r[2]);
        follow = java.util.stream.Stream.concat(java.util.Arrays.stream(follow), java.util.stream.Stream.of("--concurrency", "65"))
                .toArray(String[]::new);
        assertTrue(run(follow)[2].contains("--concurrency: 65"));
    }

    @Test
    void follow_activatesEachNewRevision_printsALineForIt_andStopsWhenInterrupted() throws Exception {
        Path keys = tmp.resolve("keys");
        Path src = tmp.resolve("src");
        Path origin = tmp.resolve("origin");
        byte[] weights = randomBytes(1 << 20, 11);
        String[] publish = keygenAndPublish(keys, src, origin, weights);

        EventLoops loops = EventLoops.create(1, "sync-cli-test");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int[] code = {-1};
        Thread follower = null;
        try (ArtifactServer server = ArtifactServer.start(new ArtifactStore(origin), new InetSocketAddress("127.0.0.1", 0), loops)) {
            String[] follow = {"sync", "follow", "--from", "http://127.0.0.1:" + server.address().getPort() + "/",
                    "--store", tmp.resolve("replica").toString(), "--public-key", keys.resolve("manifest-key.pub.pem").toString(),
                    "--repo", "acme/m", "--interval", "0.05"};
            follower = Thread.ofPlatform().name("follow-under-test").start(
                    () -> code[0] = YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), follow));
            JsonNode first = new ObjectMapper().readTree(awaitLine(out, 1, err));
            assertEquals(1, first.get("version").asLong());
            assertEquals(weights.length, first.get("bytesFetched").asLong());

            weights[5000] ^= 1;
            Files.write(src.resolve("model.bin"), weights);
            assertEquals("0", run(publish)[0]);
            JsonNode second = new ObjectMapper().readTree(awaitLine(out, 2, err));
            assertEquals(2, second.get("version").asLong());
            assertTrue(second.get("bytesFetched").asLong() < weights.length / 4, second.toString());
            assertTrue(second.get("lagMillis").asLong() >= 0 && second.get("activatedAt").asLong() > 0, second.toString());
            Path active = tmp.resolve("replica/repos/acme/m/revisions").resolve(second.get("revision").asText());
            assertArrayEquals(weights, Files.readAllBytes(active.resolve("model.bin")));

            Thread.sleep(200); // polls that find nothing new print nothing
            assertEquals(2, out.toString().lines().count(), out.toString());
        } finally {
            if (follower != null) {
                follower.interrupt();
                follower.join(10_000);
            }
            loops.close();
        }
        assertEquals(0, code[0], err.toString());
        assertTrue(err.toString().contains("yunjing_sync_syncs_total"), "metrics on stop: " + err);
    }

    /** The {@code n}th line of {@code out}, waiting up to 20 s for it. */
    private static String awaitLine(StringWriter out, int n, StringWriter err) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            java.util.List<String> lines = out.toString().lines().toList();
            if (lines.size() >= n) {
                return lines.get(n - 1);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no line " + n + " from follow; stdout: " + out + " stderr: " + err);
    }
}
