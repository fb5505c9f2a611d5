package yunjing.deploy.run;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import yunjing.deploy.peers.DigPeer;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyLoader;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded default topology, all seven nodes and the DNS, started in this JVM on ephemeral
 * ports: the DNS → edge → regional → central → origin path, over HTTP and HTTPS.
 */
class LocalNetworkTest {

    static final String CHAT = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"stream\":true,\"max_tokens\":16}";

    @TempDir
    static Path state;
    static Topology topology;
    static MirrorNetwork network;
    static HttpClient http;

    @BeforeAll
    static void startNetwork() throws Exception {
        topology = TopologyLoader.loadEmbedded();
        network = MirrorNetwork.startAll(topology, new StateDir(state), RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)));
        network.awaitReady(Duration.ofSeconds(60));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopNetwork() {
        if (network != null) {
            network.close();
        }
        if (http != null) {
            http.close();
        }
    }

    private static RunningRole role(String id) {
        return network.role(id).orElseThrow();
    }

    private static List<InetAddress> resolveApi() throws Exception {
        SimpleResolver resolver = new SimpleResolver(role("dns").http());
        resolver.setTimeout(Duration.ofSeconds(2));
        Message response = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("api.mirror.test."), Type.A, DClass.IN)));
        assertEquals(Rcode.NOERROR, response.getRcode());
        assertTrue(response.getHeader().getFlag(Flags.AA), "authoritative");
        List<InetAddress> addresses = new ArrayList<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            addresses.add(((ARecord) r).getAddress());
        }
        return addresses;
    }

    private static HttpRequest chat(URI uri, String body) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer sk-yunjing-local-free")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Reads an SSE body line by line, returning the payloads of its data: lines. */
    private static List<String> dataEvents(InputStream body) throws Exception {
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line.substring(6));
                }
            }
        }
        return events;
    }

    @Test
    void dns_answersTheApiNameWithEdgeAddresses() throws Exception {
        Set<InetAddress> edges = topology.edges().stream().map(Node::address).collect(Collectors.toSet());
        List<InetAddress> answer = resolveApi();
        assertFalse(answer.isEmpty());
        assertTrue(edges.containsAll(answer), answer + " ⊄ " + edges);
    }

    @Test
    void streamingChat_throughGzUnicom_crossesARegionalCentralAndOrigin() throws Exception {
        URI uri = URI.create("http://" + Endpoints.hostPort(role("gz-unicom").http()) + "/v1/chat/completions");
        HttpResponse<InputStream> response = http.send(chat(uri, CHAT), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        String via = String.join(", ", response.headers().allValues("via"));
        // Which regional is the conversation's rendezvous-hash home (proxy README, Parents), not configured order.
        assertTrue(via.matches(".*bj-central.*(gz|sh)-regional.*gz-unicom.*"), "Via, origin-most first: " + via);
        assertTrue(response.headers().firstValue("server").orElse("").contains("origin"),
                "the origin answered: " + response.headers().map());
        assertTrue(response.headers().firstValue("x-request-id").isPresent());

        List<String> events = dataEvents(response.body());
        assertEquals("[DONE]", events.get(events.size() - 1));
        assertTrue(events.size() >= 3, "role chunk, tokens, finish: " + events);
        assertTrue(events.get(0).contains("\"chat.completion.chunk\""), events.get(0));
    }

    @Test
    void dnsChosenEdge_servesAPlainCompletionFromTheOrigin() throws Exception {
        InetAddress edgeAddress = resolveApi().get(0);
        RunningRole edge = network.roles().stream()
                .filter(r -> r.http().getAddress().equals(edgeAddress)).findFirst().orElseThrow();
        URI uri = URI.create("http://" + Endpoints.hostPort(edge.http()) + "/v1/chat/completions");
        HttpResponse<String> response = http.send(chat(uri, CHAT.replace("\"stream\":true", "\"stream\":false")),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"chat.completion\""), response.body());
        assertTrue(response.body().contains("\"completion_tokens\""), response.body());
        assertTrue(String.join(",", response.headers().allValues("via")).contains(edge.id()));
    }

    @Test
    void sameRequestTwice_givesTheSameGreedyAnswer() throws Exception {
        URI uri = URI.create("http://" + Endpoints.hostPort(role("sh-telecom").http()) + "/v1/chat/completions");
        String body = CHAT.replace("\"stream\":true", "\"stream\":false,\"temperature\":0");
        String first = http.send(chat(uri, body), HttpResponse.BodyHandlers.ofString()).body();
        String second = http.send(chat(uri, body), HttpResponse.BodyHandlers.ofString()).body();
        assertEquals(content(first), content(second));
    }

    private static String content(String completion) {
        int start = completion.indexOf("\"content\":");
        return completion.substring(start, completion.indexOf("\"finish_reason\""));
    }

    @Test
    void https_withTheLocalCa_negotiatesH2AndStreams() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(state.resolve("tls/ca.pem"))) {
            trust.setCertificateEntry("yunjing", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        InetSocketAddress https = role("gz-unicom").https();
        try (HttpClient client = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_2).build()) {
            URI uri = URI.create("https://" + Endpoints.hostPort(https) + "/v1/chat/completions");
            HttpResponse<InputStream> response = client.send(chat(uri, CHAT), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertEquals(200, response.statusCode());
            List<String> events = dataEvents(response.body());
            assertEquals("[DONE]", events.get(events.size() - 1));
        }
    }

    @Test
    void everyRole_servesHealthzReadyzAndMetrics() throws Exception {
        for (RunningRole r : network.roles()) {
            String base = "http://" + Endpoints.hostPort(r.adminAddress());
            assertEquals(200, get(base + "/healthz").statusCode(), r.id());
            HttpResponse<String> ready = get(base + "/readyz");
            assertEquals(200, ready.statusCode(), r.id() + " " + ready.body());
            HttpResponse<String> metrics = get(base + "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("node=\"" + r.id() + "\""), r.id());
            assertEquals(404, get(base + "/nope").statusCode());
        }
    }

    private static HttpResponse<String> get(String uri) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void realDig_getsAnAuthoritativeEdgeAnswer() throws Exception {
        DigPeer.requireOrSkip();
        InetSocketAddress dns = role("dns").http();
        String output = DigPeer.run("@" + dns.getAddress().getHostAddress(), "-p", String.valueOf(dns.getPort()),
                "api.mirror.test", "A", "+norecurse");
        assertTrue(output.contains("status: NOERROR"), output);
        assertTrue(output.contains(" aa"), "aa flag: " + output);
        Set<String> edges = topology.edges().stream().map(n -> n.address().getHostAddress()).collect(Collectors.toSet());
        // TTL 30, or 5 while health is settling (another test may just have drained an edge).
        var answer = java.util.regex.Pattern.compile("api\\.mirror\\.test\\.\\s+(\\d+)\\s+IN\\s+A\\s+(\\S+)").matcher(output);
        assertTrue(answer.find(), output);
        assertTrue(Integer.parseInt(answer.group(1)) <= 30, output);
        assertTrue(edges.contains(answer.group(2)), output);
    }

    private static HttpResponse<String> post(RunningRole r, String pathAndQuery, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + Endpoints.hostPort(r.adminAddress())
                + pathAndQuery)).timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String adminToken() throws Exception {
        return Files.readString(state.resolve("admin.token")).strip();
    }

    @Test
    void drainedEdge_leavesDnsAnswersAtOnce_andReturnsAfterUndrain() throws Exception {
        RunningRole edge = role("bj-mobile");
        assertEquals(401, post(edge, "/drain", null).statusCode(), "drain needs the admin token");
        try {
            HttpResponse<String> drained = post(edge, "/drain", adminToken());
            assertEquals(200, drained.statusCode(), drained.body());
            HttpResponse<String> ready = get("http://" + Endpoints.hostPort(edge.adminAddress()) + "/readyz");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("\"draining\":true"), ready.body());
            // Probes run every 200 ms here; a draining node leaves at its next probe, not after 3 failures.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (resolveApiAll().contains(edge.http().getAddress())) {
                assertTrue(System.nanoTime() < deadline, "bj-mobile still answered 5 s after draining");
                Thread.sleep(50);
            }
        } finally {
            assertEquals(200, post(edge, "/undrain", adminToken()).statusCode());
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!resolveApiAll().contains(edge.http().getAddress())) {
            assertTrue(System.nanoTime() < deadline, "bj-mobile not back 10 s after undrain");
            Thread.sleep(50);
        }
    }

    /** Several queries, since each answer holds up to two of the three edges in rotation. */
    private static Set<InetAddress> resolveApiAll() throws Exception {
        Set<InetAddress> all = new java.util.HashSet<>();
        for (int i = 0; i < 6; i++) {
            all.addAll(resolveApi());
        }
        return all;
    }

    @Test
    void cacheAdmin_needsTheToken_andOnlyCachingNodesHaveIt() throws Exception {
        RunningRole edge = role("gz-unicom");
        assertEquals(401, post(edge, "/cache/purge?url=api.mirror.test/v1/models", "wrong-token-0123456789").statusCode());
        HttpResponse<String> purged = post(edge, "/cache/purge?url=api.mirror.test/v1/models", adminToken());
        assertEquals(200, purged.statusCode(), purged.body());
        assertTrue(purged.body().matches("\\{\"node\":\"gz-unicom\",\"purged\":\\d+\\}\\s*"), purged.body());
        assertEquals(400, post(edge, "/cache/purge", adminToken()).statusCode());
        HttpResponse<String> byDigest = post(edge, "/cache/purge?digest=" + "ab".repeat(32), adminToken());
        assertEquals(200, byDigest.statusCode(), byDigest.body());
        HttpResponse<String> badDigest = post(edge, "/cache/purge?digest=abc", adminToken());
        assertEquals(400, badDigest.statusCode());
        assertTrue(badDigest.body().contains("bad_digest"), badDigest.body());
        HttpResponse<String> stats = http.send(HttpRequest.newBuilder(URI.create("http://"
                        + Endpoints.hostPort(edge.adminAddress()) + "/cache/stats"))
                .header("Authorization", "Bearer " + adminToken()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, stats.statusCode());
        assertTrue(stats.body().contains("\"l1Entries\":") && stats.body().contains("\"hits\":"), stats.body());
        assertEquals(404, post(role("origin"), "/cache/purge?url=x/y", adminToken()).statusCode());
    }

    @Test
    void accessLogReopen_afterARename_newLinesGoToANewFile() throws Exception {
        RunningRole edge = role("gz-unicom");
        Path log = state.resolve("logs/gz-unicom.access.jsonl");
        Path rotated = state.resolve("logs/gz-unicom.access.jsonl.1");
        requestAndAwaitLine(edge, log, "rotation=before");
        Files.move(log, rotated);
        assertEquals(401, post(edge, "/access-log/reopen", null).statusCode(), "reopen needs the admin token");
        HttpResponse<String> reopened = post(edge, "/access-log/reopen", adminToken());
        assertEquals(200, reopened.statusCode(), reopened.body());
        assertEquals("{\"node\":\"gz-unicom\",\"reopened\":true}", reopened.body().strip());
        requestAndAwaitLine(edge, log, "rotation=after");
        assertTrue(Files.readString(rotated).contains("rotation=before"));
        assertFalse(Files.readString(log).contains("rotation=before"));
        assertFalse(Files.readString(rotated).contains("rotation=after"));
    }

    /** Sends a request through {@code edge} whose target holds {@code marker}, and waits for its line in {@code log}. */
    private static void requestAndAwaitLine(RunningRole edge, Path log, String marker) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create("http://" + Endpoints.hostPort(edge.http()) + "/v1/models?" + marker))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(Files.exists(log) && Files.readString(log).contains(marker))) {
            assertTrue(System.nanoTime() < deadline, "no access log line for " + marker + " in " + log);
            Thread.sleep(20);
        }
    }

    @Test
    void edge_refusesMissingOrUnknownKeysBeforeTheLongHaul() throws Exception {
        URI models = URI.create("http://" + Endpoints.hostPort(role("sh-telecom").http()) + "/v1/models");
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(models).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, missing.statusCode());
        assertTrue(missing.body().contains("\"missing_api_key\""), missing.body());
        assertTrue(missing.headers().firstValue("www-authenticate").orElse("").startsWith("Bearer"));
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(models).header("Authorization", "Bearer sk-nope")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.body().contains("\"invalid_api_key\""), wrong.body());
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(models).header("Authorization", "Bearer sk-yunjing-local-pro")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("tiny-llama"), ok.body());
    }

    @Test
    void newRevisionInTheStore_isHotSwappedIn_andEdgesListIt() throws Exception {
        var model = topology.node("origin").orElseThrow().models().get(0);
        URI originModels = URI.create("http://" + Endpoints.hostPort(role("origin").http()) + "/v1/models");
        String before = http.send(HttpRequest.newBuilder(originModels).build(), HttpResponse.BodyHandlers.ofString()).body();
        // Signed with the origin's key, as `yunjing model publish` does: the replicas accept it.
        var store = yunjing.sync.store.ArtifactStore.builder(new StateDir(state).artifacts())
                .signer(ManifestKeys.stateSigner(new StateDir(state))).build();
        String published = ModelPreparer.publishTestModel(store, model.repo(), model.ref(), 99).id();
        assertFalse(before.contains(published), before);

        String listed = "";
        for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); System.nanoTime() < deadline; ) {
            listed = http.send(HttpRequest.newBuilder(originModels).build(), HttpResponse.BodyHandlers.ofString()).body();
            if (listed.contains(published)) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(listed.contains(published), "the origin serves the new revision: " + listed);
        // Through an edge (its cached listing purged first), a request is answered by the new revision.
        RunningRole edge = role("sh-telecom");
        assertEquals(200, post(edge, "/cache/purge?url=api.mirror.test/v1/models", adminToken()).statusCode());
        HttpResponse<String> viaEdge = http.send(HttpRequest.newBuilder(URI.create("http://"
                        + Endpoints.hostPort(edge.http()) + "/v1/models"))
                .header("Authorization", "Bearer sk-yunjing-local-pro").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, viaEdge.statusCode(), viaEdge.body());
        assertTrue(viaEdge.body().contains(published), viaEdge.body());
        URI chat = URI.create("http://" + Endpoints.hostPort(edge.http()) + "/v1/chat/completions");
        HttpResponse<String> answer = http.send(chat(chat, CHAT.replace("\"stream\":true", "\"stream\":false")),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
    }
}
