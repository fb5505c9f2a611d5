package yunjing.deploy.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local topology's nodes on free ports, with its sync section: a new revision dropped into the
 * origin's store reaches the canary (sh-regional) first, verified, and the other replicas only after
 * {@code yunjing rollout promote}; {@code rollback} brings every replica back; {@code sync status}
 * shows it. Driven through the CLI, as an operator would.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RolloutNetworkTest {

    static final String REPO = RolloutNetwork.REPO;
    static final List<String> OTHERS = List.of("bj-central", "gz-regional");
    static final String CANARY = "sh-regional";

    @TempDir
    static Path tmp;
    static RolloutNetwork net;

    @BeforeAll
    static void start() throws Exception {
        net = new RolloutNetwork(tmp, "");
    }

    @AfterAll
    static void stop() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void newRevision_canaryFirst_thenPromote_thenRollback() throws Exception {
        // Revision 1, published signed with the origin's key (created in the state directory at start).
        Path v1 = Files.createDirectories(tmp.resolve("v1"));
        byte[] weights = new byte[3 << 20];
        new Random(7).nextBytes(weights);
        Files.write(v1.resolve("weights.bin"), weights);
        Files.writeString(v1.resolve("config.json"), "{\"v\":1}");
        String rev1 = net.publish(v1);
        for (String node : List.of(CANARY, "bj-central", "gz-regional")) {
            net.awaitActive(node, rev1);
        }
        assertEquals(0, net.cli("sync", "status").code(), "every replica on its target");
        // Both regionals fetch through bj-central: the byte spans one fetched were cache hits for the other,
        // or bj-central, a replica itself, answered them from its own store once it held the revision.
        String stats = cacheStats("bj-central");
        long shared = number(stats, "hits") + number(stats, "collapsed") + localRequests("bj-central");
        assertTrue(shared > 0, "the regionals' chunks come from bj-central: " + stats);
        // Each replica's agent reports into its node's metrics (fetched bytes, syncs by outcome, lag).
        String metrics = net.admin("gz-regional", "/metrics");
        assertTrue(metrics.matches("(?s).*yunjing_sync_bytes_total\\{kind=\"fetched\",[^}]*repo=\"" + REPO
                + "\"[^}]*} [1-9].*"), "sync metrics of gz-regional's agent:\n" + grepSync(metrics));
        assertTrue(metrics.matches("(?s).*yunjing_sync_syncs_total\\{[^}]*outcome=\"activated\",[^}]*repo=\"" + REPO
                + "\"[^}]*} [1-9].*"), grepSync(metrics));

        // Revision 2: scattered edits, dropped into the origin's incoming directory (published once settled).
        for (int i = 0; i < 8; i++) {
            weights[(i * 377_123) % weights.length] ^= 0x5a;
        }
        Path staging = Files.createDirectories(tmp.resolve("staging/data"));
        Files.write(staging.resolve("weights.bin"), weights);
        Files.writeString(staging.resolve("config.json"), "{\"v\":2}");
        Path incoming = Files.createDirectories(net.state.artifacts().resolve("incoming/acme"));
        Files.move(staging, incoming.resolve("data"), StandardCopyOption.ATOMIC_MOVE);
        String rev2 = net.awaitMain(rev1);

        net.awaitActive(CANARY, rev2);
        assertArrayEquals(weights, Files.readAllBytes(net.activeDir(CANARY).resolve("weights.bin")));
        Thread.sleep(1000); // five polls of the others: they must stay where they are
        for (String node : OTHERS) {
            assertEquals(rev1, net.active(node), node + " is not a canary: it waits for promote");
        }
        // Each replica serves hub clients from its own verified store, at its own rollout target: the canary
        // the new revision, the others the stable one; a revision a node does not hold goes to its parents.
        long servedBefore = localRequests("bj-central");
        assertHub(CANARY, "/" + REPO + "/resolve/main/config.json", "{\"v\":2}");
        assertHub("bj-central", "/" + REPO + "/resolve/main/config.json", "{\"v\":1}");
        assertHub("bj-central", "/" + REPO + "/resolve/" + rev1 + "/config.json", "{\"v\":1}");
        assertEquals(servedBefore + 2, localRequests("bj-central"), "bj-central answered main and rev1 itself");
        assertHub("bj-central", "/" + REPO + "/resolve/" + rev2 + "/config.json", "{\"v\":2}");
        assertEquals(servedBefore + 2, localRequests("bj-central"), "rev2, which bj-central does not hold, came from its parent");
        RolloutNetwork.Result status = net.cli("rollout", "status", REPO);
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().contains("canary:    " + rev2), status.out());
        RolloutNetwork.Result syncStatus = net.cli("sync", "status");
        assertEquals(0, syncStatus.code(), "each replica is on its own target: " + syncStatus.out());
        assertTrue(syncStatus.out().matches("(?s).*sh-regional\\s+acme/data\\s+" + rev2 + "\\s+in sync \\(canary\\).*"),
                syncStatus.out());
        assertTrue(syncStatus.out().matches("(?s).*bj-central\\s+acme/data\\s+" + rev1 + "\\s+in sync\\s.*"), syncStatus.out());

        RolloutNetwork.Result promote = net.cli("rollout", "promote", REPO, rev2);
        assertEquals(0, promote.code(), promote.err());
        for (String node : OTHERS) {
            net.awaitActive(node, rev2);
            assertArrayEquals(weights, Files.readAllBytes(net.activeDir(node).resolve("weights.bin")));
        }

        RolloutNetwork.Result rollback = net.cli("rollout", "rollback", REPO);
        assertEquals(0, rollback.code(), rollback.err());
        for (String node : List.of(CANARY, "bj-central", "gz-regional")) {
            net.awaitActive(node, rev1);
            assertEquals("{\"v\":1}", Files.readString(net.activeDir(node).resolve("config.json")));
        }
        RolloutNetwork.Result after = net.cli("sync", "status");
        assertEquals(0, after.code(), after.out() + after.err());
        assertTrue(after.out().matches("(?s).*gz-regional\\s+acme/data\\s+" + rev1 + "\\s+in sync\\s+0s.*"), after.out());

        // Starting the rolled-back revision again: the canary takes it (re-signed above the rollback's version).
        RolloutNetwork.Result start = net.cli("rollout", "start", REPO, rev2);
        assertEquals(0, start.code(), start.err());
        net.awaitActive(CANARY, rev2);
        assertEquals(0, net.cli("rollout", "rollback", REPO).code());
        net.awaitActive(CANARY, rev1);

                // A pin keeps one node where it is asked to be.
        assertEquals(0, net.cli("rollout", "pin", "gz-regional", REPO, rev2).code());
        net.awaitActive("gz-regional", rev2);
        assertEquals(rev1, net.active("bj-central"));
        assertEquals(0, net.cli("rollout", "unpin", "gz-regional", REPO).code());
        net.awaitActive("gz-regional", rev1);
    }

    @Test
    void badInput_exits2WithTheReason() {
        RolloutNetwork.Result unknownRepo = net.cli("rollout", "promote", "acme/none");
        assertEquals(2, unknownRepo.code());
        assertTrue(unknownRepo.err().contains("unknown repository 'acme/none'"), unknownRepo.err());
        RolloutNetwork.Result unknownRev = net.cli("rollout", "start", "yunjing/tiny-llama", "f".repeat(40));
        assertEquals(2, unknownRev.code());
        assertTrue(unknownRev.err().contains("unknown revision"), unknownRev.err());
        RolloutNetwork.Result unknownNode = net.cli("rollout", "pin", "sh-telecom", "yunjing/tiny-llama", "main");
        assertEquals(2, unknownNode.code());
        assertTrue(unknownNode.err().contains("keeps no artifacts"), unknownNode.err());
        RolloutNetwork.Result noToken = RolloutNetwork.run("rollout", "status", "--topology", net.topologyFile.toString(),
                "--state-dir", tmp.resolve("elsewhere").toString());
        assertEquals(2, noToken.code());
        assertTrue(noToken.err().contains("no admin token"), noToken.err());
    }

    private static void assertHub(String node, String path, String body) throws Exception {
        var response = net.http(node, path);
        assertEquals(200, response.statusCode(), node + " " + path + ": " + response.body());
        assertEquals(body, response.body(), node + " " + path);
    }

    private static long localRequests(String node) throws Exception {
        Matcher m = Pattern.compile("(?m)^yunjing_sync_local_requests_total(?:\\{[^}]*})? ([0-9.E]+)$").matcher(net.admin(node, "/metrics"));
        assertTrue(m.find(), "yunjing_sync_local_requests_total on " + node);
        return (long) Double.parseDouble(m.group(1));
    }

    private static String cacheStats(String node) throws Exception {
        return net.admin(node, "/cache/stats");
    }

    private static String grepSync(String metrics) {
        return metrics.lines().filter(l -> l.contains("yunjing_sync")).collect(java.util.stream.Collectors.joining("\n"));
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), field + " in " + json);
        return Long.parseLong(m.group(1));
    }
}
