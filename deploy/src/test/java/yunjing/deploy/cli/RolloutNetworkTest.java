package yunjing.deploy.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.PortMode;
import yunjing.deploy.run.RunOptions;
import yunjing.deploy.run.StateDir;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.sync.store.ArtifactStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
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

    static final String REPO = "acme/data";
    static final List<String> OTHERS = List.of("bj-central", "gz-regional");
    static final String CANARY = "sh-regional";

    @TempDir
    static Path tmp;
    static Path topologyFile;
    static StateDir state;
    static MirrorNetwork network;

    record Result(int code, String out, String err) {
    }

    @BeforeAll
    static void start() throws Exception {
        String text;
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = replaceOnce(text, "ports: { http: 8080, https: 8443, admin: 9090 }",
                "ports: { http: " + freePort() + ", https: " + freePort() + ", admin: " + freePort() + " }");
        text = replaceOnce(text, "  poll_ms: 2000", "  poll_ms: 200\n  repos: [" + REPO + "]");
        topologyFile = tmp.resolve("topology.yaml");
        Files.writeString(topologyFile, text);
        Topology topology = TopologyLoader.load(topologyFile);
        state = new StateDir(tmp.resolve("state"));
        Set<String> nodes = new HashSet<>();
        topology.nodes().forEach(n -> nodes.add(n.id()));
        network = MirrorNetwork.start(topology, state, RunOptions.of(PortMode.TOPOLOGY, Duration.ofMillis(200)), nodes);
        network.awaitReady(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (network != null) {
            network.close();
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
        Result published = cli("sync", "publish", "--store", state.artifacts().toString(),
                "--key", state.sync().resolve("manifest-key.pem").toString(),
                "--public-key", state.sync().resolve("manifest-key.pub.pem").toString(), "--repo", REPO, v1.toString());
        assertEquals(0, published.code(), published.err());
        String rev1 = new ArtifactStore(state.artifacts()).revisionId(REPO, "main");
        for (String node : List.of(CANARY, "bj-central", "gz-regional")) {
            awaitActive(node, rev1);
        }
        assertEquals(0, cli("sync", "status").code(), "every replica on its target");
        // Both regionals fetch through bj-central: the byte spans one fetched were cache hits for the other.
        String stats = cacheStats("bj-central");
        long shared = number(stats, "hits") + number(stats, "collapsed");
        assertTrue(shared > 0, "the second regional's chunks come from bj-central's cache: " + stats);
        // Each replica's agent reports into its node's metrics (fetched bytes, syncs by outcome, lag).
        String metrics = admin("gz-regional", "/metrics");
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
        Path incoming = Files.createDirectories(state.artifacts().resolve("incoming/acme"));
        Files.move(staging, incoming.resolve("data"), StandardCopyOption.ATOMIC_MOVE);
        String rev2 = awaitMain(rev1);

        awaitActive(CANARY, rev2);
        assertArrayEquals(weights, Files.readAllBytes(activeDir(CANARY).resolve("weights.bin")));
        Thread.sleep(1000); // five polls of the others: they must stay where they are
        for (String node : OTHERS) {
            assertEquals(rev1, active(node), node + " is not a canary: it waits for promote");
        }
        Result status = cli("rollout", "status", REPO);
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().contains("canary:    " + rev2), status.out());
        Result syncStatus = cli("sync", "status");
        assertEquals(0, syncStatus.code(), "each replica is on its own target: " + syncStatus.out());
        assertTrue(syncStatus.out().matches("(?s).*sh-regional\\s+acme/data\\s+" + rev2 + "\\s+in sync \\(canary\\).*"),
                syncStatus.out());
        assertTrue(syncStatus.out().matches("(?s).*bj-central\\s+acme/data\\s+" + rev1 + "\\s+in sync\\s.*"), syncStatus.out());

        Result promote = cli("rollout", "promote", REPO, rev2);
        assertEquals(0, promote.code(), promote.err());
        for (String node : OTHERS) {
            awaitActive(node, rev2);
            assertArrayEquals(weights, Files.readAllBytes(activeDir(node).resolve("weights.bin")));
        }

        Result rollback = cli("rollout", "rollback", REPO);
        assertEquals(0, rollback.code(), rollback.err());
        for (String node : List.of(CANARY, "bj-central", "gz-regional")) {
            awaitActive(node, rev1);
            assertEquals("{\"v\":1}", Files.readString(activeDir(node).resolve("config.json")));
        }
        Result after = cli("sync", "status");
        assertEquals(0, after.code(), after.out() + after.err());
        assertTrue(after.out().matches("(?s).*gz-regional\\s+acme/data\\s+" + rev1 + "\\s+in sync\\s+0s.*"), after.out());

        // Starting the rolled-back revision again: the canary takes it (re-signed above the rollback's version).
        Result start = cli("rollout", "start", REPO, rev2);
        assertEquals(0, start.code(), start.err());
        awaitActive(CANARY, rev2);
        assertEquals(0, cli("rollout", "rollback", REPO).code());
        awaitActive(CANARY, rev1);

                // A pin keeps one node where it is asked to be.
        assertEquals(0, cli("rollout", "pin", "gz-regional", REPO, rev2).code());
        awaitActive("gz-regional", rev2);
        assertEquals(rev1, active("bj-central"));
        assertEquals(0, cli("rollout", "unpin", "gz-regional", REPO).code());
        awaitActive("gz-regional", rev1);
    }

    @Test
    void badInput_exits2WithTheReason() {
        Result unknownRepo = cli("rollout", "promote", "acme/none");
        assertEquals(2, unknownRepo.code());
        assertTrue(unknownRepo.err().contains("unknown repository 'acme/none'"), unknownRepo.err());
        Result unknownRev = cli("rollout", "start", "yunjing/tiny-llama", "f".repeat(40));
        assertEquals(2, unknownRev.code());
        assertTrue(unknownRev.err().contains("unknown revision"), unknownRev.err());
        Result unknownNode = cli("rollout", "pin", "sh-telecom", "yunjing/tiny-llama", "main");
        assertEquals(2, unknownNode.code());
        assertTrue(unknownNode.err().contains("keeps no artifacts"), unknownNode.err());
        Result noToken = run("rollout", "status", "--topology", topologyFile.toString(),
                "--state-dir", tmp.resolve("elsewhere").toString());
        assertEquals(2, noToken.code());
        assertTrue(noToken.err().contains("no admin token"), noToken.err());
    }

    private static String cacheStats(String node) throws Exception {
        return admin(node, "/cache/stats");
    }

    /** GET of an admin path of a node, with the admin token. */
    private static String admin(String node, String path) throws Exception {
        Topology topology = TopologyLoader.load(topologyFile);
        var n = topology.node(node).orElseThrow();
        String token = Files.readString(state.root().resolve("admin.token")).strip();
        try (HttpClient client = HttpClient.newHttpClient()) {
            URI uri = URI.create("http://" + n.address().getHostAddress() + ":" + n.ports().admin() + path);
            return client.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private static String grepSync(String metrics) {
        return metrics.lines().filter(l -> l.contains("yunjing_sync")).collect(java.util.stream.Collectors.joining("\n"));
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), field + " in " + json);
        return Long.parseLong(m.group(1));
    }

    private static String active(String node) throws IOException {
        ArtifactStore replica = new ArtifactStore(state.replica(node));
        return replica.hasRepo(REPO) && replica.hasRef(REPO, "main") ? replica.revisionId(REPO, "main") : null;
    }

    private static Path activeDir(String node) throws IOException {
        return new ArtifactStore(state.replica(node)).resolve(REPO, "main").directory();
    }

    private static void awaitActive(String node, String revision) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!revision.equals(active(node))) {
            assertTrue(System.nanoTime() < deadline, node + " never activated " + revision + " (has " + active(node) + ")");
            Thread.sleep(50);
        }
    }

    /** The origin's main once it has moved off {@code old} (the incoming publisher settles for 10 s). */
    private static String awaitMain(String old) throws Exception {
        ArtifactStore origin = new ArtifactStore(state.artifacts());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (origin.revisionId(REPO, "main").equals(old)) {
            assertTrue(System.nanoTime() < deadline, "the dropped revision was never published");
            Thread.sleep(100);
        }
        return origin.revisionId(REPO, "main");
    }

    private static Result cli(String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--topology";
        all[args.length + 1] = topologyFile.toString();
        all[args.length + 2] = "--state-dir";
        all[args.length + 3] = state.root().toString();
        if (args[0].equals("sync") && args[1].equals("publish")) {
            return run(args);
        }
        return run(all);
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static String replaceOnce(String text, String from, String to) {
        assertTrue(text.contains(from), "topology has: " + from);
        return text.replace(from, to);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
