package yunjing.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.run.Endpoints;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.PortMode;
import yunjing.deploy.run.RunOptions;
import yunjing.deploy.run.RunningRole;
import yunjing.deploy.run.StateDir;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Tier;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code yunjing warm FILE} against the embedded topology running on free ports: every caching node
 * fetches each URL once (parents first, so the origin is asked once per URL), and a client's GET is then
 * a hit at the edge, logged in the edge's access log. Also the admin endpoint's refusals.
 */
class WarmCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REPO = "yunjing/tiny-llama";

    @TempDir
    static Path tmp;
    static Path topologyFile;
    static Topology topology;
    static MirrorNetwork network;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        String text;
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = text.replace("ports: { http: 8080, https: 8443, admin: 9090 }",
                        "ports: { http: " + freePort() + ", https: " + freePort() + ", admin: " + freePort() + " }")
                .replace("127.0.0.1:5353", "127.0.0.1:" + freePort())
                .replace("127.0.0.1:9053", "127.0.0.1:" + freePort());
        topologyFile = tmp.resolve("topology.yaml");
        Files.writeString(topologyFile, text);
        topology = TopologyLoader.load(topologyFile);
        network = MirrorNetwork.startAll(topology, new StateDir(tmp.resolve("state")),
                RunOptions.of(PortMode.TOPOLOGY, Duration.ofMillis(200)));
        network.awaitReady(Duration.ofSeconds(60));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (network != null) {
            network.close();
        }
        if (http != null) {
            http.close();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static CommandResult run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CommandResult(code, out.toString(), err.toString());
    }

    record CommandResult(int code, String out, String err) {
    }

    /** Responses each caching node has had from its parents so far. */
    private static Map<String, Long> upstreamResponses() {
        Map<String, Long> counts = new HashMap<>();
        for (Node node : topology.nodes()) {
            if (node.tier() != Tier.ORIGIN) {
                RunningRole role = network.role(node.id()).orElseThrow();
                counts.put(node.id(), role.adminRole().registry().find("yunjing.proxy.upstream.first.byte").timers()
                        .stream().mapToLong(Timer::count).sum());
            }
        }
        return counts;
    }

    @Test
    void warm_fillsEveryTierOnce_andTheEdgeThenHits() throws Exception {
        Revision published = new ArtifactStore(new StateDir(tmp.resolve("state")).artifacts()).resolve(REPO, "main");
        List<Manifest.Entry> small = published.manifest().entries().stream()
                .sorted(Comparator.comparingLong(Manifest.Entry::size)).limit(2).toList();
        List<String> urls = small.stream()
                .map(e -> "models.mirror.test/" + REPO + "/resolve/" + published.id() + "/" + e.path()).toList();
        Path file = tmp.resolve("warm.txt");
        Files.writeString(file, "# files of " + REPO + "\n\n" + urls.get(0) + "   # the smallest\n" + urls.get(1) + "\n");
        Map<String, Long> before = upstreamResponses();
        long originFetchesBefore = originFetches();

        CommandResult r = run("warm", "--topology", topologyFile.toString(), "--state-dir",
                tmp.resolve("state").toString(), file.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        for (Node node : topology.nodes()) {
            if (node.tier() != Tier.ORIGIN) {
                assertTrue(r.out().lines().anyMatch(l -> l.startsWith(node.id()) && l.contains("cached 2/2")), r.out());
            }
        }
        // One response from its parent per URL at every node; central's came from the origin.
        Map<String, Long> after = upstreamResponses();
        for (String id : after.keySet()) {
            assertEquals(before.get(id) + 2, after.get(id), id + ": " + before + " -> " + after + "\n" + r.out());
        }
        assertEquals(originFetchesBefore + 2, originFetches());

        // A client at an edge now hits, and the edge's access log (default place in the state dir) says so.
        RunningRole edge = network.role("sh-telecom").orElseThrow();
        String response = raw(edge, "GET /" + REPO + "/resolve/" + published.id() + "/" + small.get(0).path()
                + " HTTP/1.1\r\nHost: models.mirror.test\r\nX-Request-Id: warm-check\r\nConnection: close\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        assertTrue(response.contains("sh-telecom; hit"), response);
        Path log = tmp.resolve("state/logs/sh-telecom.access.jsonl");
        JsonNode line = awaitLogLine(log, "warm-check");
        assertEquals("hit", line.get("cache").asText());
        assertEquals(small.get(0).size(), line.get("bytes").asLong());
        assertEquals("models.mirror.test", line.get("host").asText());
    }

    /** Central's responses from the origin. */
    private static long originFetches() {
        Timer t = network.role("bj-central").orElseThrow().adminRole().registry()
                .find("yunjing.proxy.upstream.first.byte").tag("parent", "origin").timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void badInput_isRefused() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "# nothing\n\n");
        String state = tmp.resolve("state").toString();
        CommandResult none = run("warm", "--topology", topologyFile.toString(), "--state-dir", state, empty.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no URLs"), none.err());
        CommandResult missing = run("warm", "--topology", topologyFile.toString(), "--state-dir", state,
                tmp.resolve("missing.txt").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Path one = Files.writeString(tmp.resolve("one.txt"), "models.mirror.test/x\n");
        CommandResult unknown = run("warm", "--topology", topologyFile.toString(), "--state-dir", state,
                "--node", "hz-telecom", one.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("hz-telecom") && unknown.err().contains("gz-unicom"), unknown.err());

        RunningRole edge = network.role("gz-unicom").orElseThrow();
        String token = Files.readString(tmp.resolve("state/admin.token")).strip();
        assertEquals(401, post(edge, "[\"a.test/x\"]", null).statusCode());
        HttpResponse<String> notJson = post(edge, "{\"url\":", token);
        assertEquals(400, notJson.statusCode());
        assertTrue(notJson.body().contains("expected a JSON array of URLs"), notJson.body());
        assertEquals(400, post(edge, "[\"a.test/x\", 7]", token).statusCode());
        HttpResponse<String> noHost = post(edge, "{\"urls\":[\"/x\"]}", token);
        assertEquals(400, noHost.statusCode());
        assertTrue(noHost.body().contains("/x"), noHost.body());
        assertEquals(400, post(edge, "[]", token).statusCode());
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create("http://"
                        + Endpoints.hostPort(edge.adminAddress()) + "/cache/warm"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
        // One node only: a URL the origin does not have is reported, and the exit code says so.
        CommandResult notFound = run("warm", "--topology", topologyFile.toString(), "--state-dir", state,
                "--node", "gz-unicom", one.toString());
        assertEquals(1, notFound.code(), notFound.out());
        assertTrue(notFound.out().contains("gz-unicom") && notFound.out().contains("cached 0/1")
                && notFound.out().contains("status 404"), notFound.out());
    }

    private static HttpResponse<String> post(RunningRole role, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://"
                        + Endpoints.hostPort(role.adminAddress()) + "/cache/warm"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String raw(RunningRole role, String request) throws Exception {
        try (Socket socket = new Socket(role.http().getAddress(), role.http().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static JsonNode awaitLogLine(Path log, String requestId) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    JsonNode entry = JSON.readTree(line);
                    if (requestId.equals(entry.path("request_id").asText())) {
                        return entry;
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, "no access log line for " + requestId + " in " + log);
            Thread.sleep(50);
        }
    }
}
