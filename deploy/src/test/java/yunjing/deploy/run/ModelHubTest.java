package yunjing.deploy.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.peers.HubClientPeer;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The origin's artifact store served through the tiers of the embedded topology (ephemeral
 * ports): Hugging Face paths at an edge, immutable files cached on the way, the chat API still
 * beside it, and a real hub client ({@code @huggingface/hub}) downloading a published file.
 */
class ModelHubTest {

    static final String REPO = "yunjing/tiny-llama";
    static final String EDGE = "sh-telecom";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path state;
    static MirrorNetwork network;
    static HttpClient http;
    static Revision published;

    @BeforeAll
    static void startNetwork() throws Exception {
        network = MirrorNetwork.startAll(TopologyLoader.loadEmbedded(), new StateDir(state),
                RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)));
        network.awaitReady(Duration.ofSeconds(60));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        published = new ArtifactStore(new StateDir(state).artifacts()).resolve(REPO, "main");
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

    static URI base(String node) {
        InetSocketAddress a = network.role(node).orElseThrow().http();
        return URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/");
    }

    static HttpResponse<byte[]> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The smallest file of the published model, so tests stay fast. */
    static Manifest.Entry smallestFile() {
        return published.manifest().entries().stream().min(Comparator.comparingLong(Manifest.Entry::size)).orElseThrow();
    }

    @Test
    void modelInfo_atTheEdge_namesThePublishedRevision() throws Exception {
        HttpResponse<byte[]> r = get(base(EDGE).resolve("api/models/" + REPO));
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        JsonNode info = JSON.readTree(r.body());
        assertEquals(REPO, info.get("id").asText());
        assertEquals(published.id(), info.get("sha").asText());
        assertEquals(published.manifest().entries().size(), info.get("siblings").size());
        assertTrue(r.headers().firstValue("Cache-Control").orElseThrow().contains("max-age=60"));
    }

    @Test
    void fileByCommit_isImmutable_andASecondRequestHitsTheEdgeCache() throws Exception {
        Manifest.Entry file = smallestFile();
        URI uri = base(EDGE).resolve(REPO + "/resolve/" + published.id() + "/" + file.path());
        HttpResponse<byte[]> first = get(uri);
        assertEquals(200, first.statusCode());
        assertEquals(file.size(), first.body().length);
        assertEquals(published.id(), first.headers().firstValue("X-Repo-Commit").orElseThrow());
        assertEquals("\"" + file.sha256() + "\"", first.headers().firstValue("X-Linked-Etag").orElseThrow());
        assertTrue(first.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
        HttpResponse<byte[]> second = get(uri);
        assertArrayEquals(first.body(), second.body());
        String status = second.headers().firstValue("Cache-Status").orElseThrow();
        assertTrue(status.endsWith(EDGE + "; hit"), status);
    }

    @Test
    void modelsHostName_routesEveryPathToTheStore_otherHostsReachTheApi() throws Exception {
        InetSocketAddress origin = network.role("origin").orElseThrow().http();
        String store = raw(origin, "GET /v1/models HTTP/1.1\r\nHost: models.mirror.test:8080\r\nConnection: close\r\n\r\n");
        assertTrue(store.startsWith("HTTP/1.1 404") && store.contains("X-Error-Code"), store);
        String api = raw(origin, "GET /v1/models HTTP/1.1\r\nHost: api.mirror.test:8080\r\nConnection: close\r\n\r\n");
        assertTrue(api.startsWith("HTTP/1.1 200") && api.contains("tiny-llama"), api);
    }

    @Test
    void realHubClient_downloadsAPublishedFileThroughAnEdge() throws Exception {
        HubClientPeer hub = HubClientPeer.requireOrSkip();
        Manifest.Entry file = published.manifest().entries().stream()
                .max(Comparator.comparingLong(Manifest.Entry::size)).orElseThrow(); // the weights
        Path out = Files.createTempFile(state, "hub-", ".bin");
        String hubUrl = base(EDGE).toString().replaceAll("/$", "");
        String line = hub.download(hubUrl, REPO, "main", file.path(), out);
        assertEquals("sha256=" + file.sha256() + " size=" + file.size(), line);
        assertEquals(file.sha256(), sha256(out));
    }

    @Test
    void realHubClient_snapshotDownloadsTheWholeRevisionThroughAnEdge_listingItWithTheTreeApi() throws Exception {
        HubClientPeer hub = HubClientPeer.requireOrSkip();
        String hubUrl = base(EDGE).toString().replaceAll("/$", "");
        String lines = hub.snapshot(hubUrl, REPO, "main", Files.createTempDirectory(state, "hub-cache-"));
        String expected = published.manifest().entries().stream()
                .map(e -> e.path() + " sha256=" + e.sha256() + " size=" + e.size()).sorted()
                .collect(java.util.stream.Collectors.joining("\n"));
        assertEquals(expected, lines);
    }

    @Test
    void realHubClient_listsTheCommitsThroughAnEdge() throws Exception {
        HubClientPeer hub = HubClientPeer.requireOrSkip();
        String hubUrl = base(EDGE).toString().replaceAll("/$", "");
        List<String> commits = hub.commits(hubUrl, REPO, published.id());
        assertFalse(commits.isEmpty(), "no commits listed");
        String[] newest = commits.getFirst().split(" ", 3); // id, date (milliseconds, as JavaScript has them), title
        assertEquals(published.id(), newest[0]);
        assertEquals(published.manifest().published().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), java.time.Instant.parse(newest[1]));
        assertEquals("Publish " + REPO + " version " + published.manifest().version(), newest[2]);
    }

    @Test
    void repositoryDroppedIntoIncoming_isPublishedAndServedAtTheEdge() throws Exception {
        Path repo = Files.createDirectories(new StateDir(state).artifacts().resolve("incoming/yunjing/dropped"));
        byte[] weights = new byte[100_000];
        new java.util.Random(7).nextBytes(weights);
        Files.write(repo.resolve("model.bin"), weights);
        // Poll the origin (never the edge, which would cache the 404s): published once settled (10 s).
        URI atOrigin = base("origin").resolve("api/models/yunjing/dropped");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (get(atOrigin).statusCode() != 200) {
            assertTrue(System.nanoTime() < deadline, "not published within 60 s");
            Thread.sleep(250);
        }
        HttpResponse<byte[]> file = get(base(EDGE).resolve("yunjing/dropped/resolve/main/model.bin"));
        assertEquals(200, file.statusCode());
        assertArrayEquals(weights, file.body());
    }

    private static String raw(InetSocketAddress to, String request) throws Exception {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            s.getInputStream().transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    /** SHA-256 of a file, computed here rather than trusted from the client's own output. */
    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(Files.readAllBytes(file));
        return HexFormat.of().formatHex(digest.digest());
    }
}
