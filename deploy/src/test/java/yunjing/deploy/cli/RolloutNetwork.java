package yunjing.deploy.cli;

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
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local topology's nodes on free ports with agents polling fast and following {@link #REPO},
 * for the rollout tests: started in a directory of the test's, driven through the CLI, closed after.
 */
final class RolloutNetwork implements AutoCloseable {

    static final String REPO = "acme/data";

    record Result(int code, String out, String err) {
    }

    final Path dir;
    final Path topologyFile;
    final StateDir state;
    private final MirrorNetwork network;

    /** {@code syncSettings}: more lines for the topology's sync section (e.g. {@code "  auto_promote_s: 2"}), or "". */
    RolloutNetwork(Path dir, String syncSettings) throws Exception {
        this.dir = dir;
        String text;
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = replaceOnce(text, "ports: { http: 8080, https: 8443, admin: 9090 }",
                "ports: { http: " + freePort() + ", https: " + freePort() + ", admin: " + freePort() + " }");
        text = replaceOnce(text, "  poll_ms: 2000", "  poll_ms: 200\n  repos: [" + REPO + "]"
                + (syncSettings.isEmpty() ? "" : "\n" + syncSettings));
        topologyFile = dir.resolve("topology.yaml");
        Files.writeString(topologyFile, text);
        Topology topology = TopologyLoader.load(topologyFile);
        state = new StateDir(dir.resolve("state"));
        Set<String> nodes = new HashSet<>();
        topology.nodes().forEach(n -> nodes.add(n.id()));
        network = MirrorNetwork.start(topology, state, RunOptions.of(PortMode.TOPOLOGY, Duration.ofMillis(200)), nodes);
        network.awaitReady(Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        network.close();
    }

    /** Publishes {@code source} as REPO's main, signed with the origin's key; returns the revision id. */
    String publish(Path source) throws IOException {
        Result published = cli("sync", "publish", "--store", state.artifacts().toString(),
                "--key", state.sync().resolve("manifest-key.pem").toString(),
                "--public-key", state.sync().resolve("manifest-key.pub.pem").toString(), "--repo", REPO, source.toString());
        assertTrue(published.code() == 0, published.err());
        return new ArtifactStore(state.artifacts()).revisionId(REPO, "main");
    }

    /** GET of an admin path of a node, with the admin token. */
    String admin(String node, String path) throws Exception {
        var n = TopologyLoader.load(topologyFile).node(node).orElseThrow();
        String token = Files.readString(state.root().resolve("admin.token")).strip();
        try (HttpClient client = HttpClient.newHttpClient()) {
            URI uri = URI.create("http://" + n.address().getHostAddress() + ":" + n.ports().admin() + path);
            return client.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /** GET of {@code path} on a node's HTTP port, as a hub client sends it: status and body. */
    HttpResponse<String> http(String node, String path) throws Exception {
        var n = TopologyLoader.load(topologyFile).node(node).orElseThrow();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI uri = URI.create("http://" + n.address().getHostAddress() + ":" + n.ports().http() + path);
            return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The revision REPO's main names on {@code node}'s replica, or null. */
    String active(String node) throws IOException {
        ArtifactStore replica = new ArtifactStore(state.replica(node));
        return replica.hasRepo(REPO) && replica.hasRef(REPO, "main") ? replica.revisionId(REPO, "main") : null;
    }

    Path activeDir(String node) throws IOException {
        return new ArtifactStore(state.replica(node)).resolve(REPO, "main").directory();
    }

    void awaitActive(String node, String revision) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!revision.equals(active(node))) {
            assertTrue(System.nanoTime() < deadline, node + " never activated " + revision + " (has " + active(node) + ")");
            Thread.sleep(50);
        }
    }

    /** The origin's main once it has moved off {@code old} (the incoming publisher settles for 10 s). */
    String awaitMain(String old) throws Exception {
        ArtifactStore origin = new ArtifactStore(state.artifacts());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (origin.revisionId(REPO, "main").equals(old)) {
            assertTrue(System.nanoTime() < deadline, "the dropped revision was never published");
            Thread.sleep(100);
        }
        return origin.revisionId(REPO, "main");
    }

    /** A command against this network's topology and state directory. */
    Result cli(String... args) {
        if (args[0].equals("sync") && args[1].equals("publish")) {
            return run(args);
        }
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--topology";
        all[args.length + 1] = topologyFile.toString();
        all[args.length + 2] = "--state-dir";
        all[args.length + 3] = state.root().toString();
        return run(all);
    }

    static Result run(String... args) {
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
