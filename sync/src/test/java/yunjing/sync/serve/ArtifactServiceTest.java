package yunjing.sync.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.chunk.BlockDigests;
import yunjing.sync.chunk.ByteSpan;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The artifact handler on a loopback HTTP/1.1 server, checked with the JDK client and raw sockets. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ArtifactServiceTest {

    private static final String REPO = "yunjing/tiny";
    private static final KeyPair KEYS = Ed25519Keys.generate();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final HttpClient client = HttpClient.newHttpClient();
    private ArtifactStore store;
    private ArtifactTestServer server;
    private Revision revision;
    private byte[] model;

    @BeforeEach
    void publishAndServe() throws Exception {
        store = ArtifactStore.builder(tmp.resolve("origin"))
                .signer(new ManifestSigner(KEYS.getPrivate(), KEYS.getPublic())).build();
        model = new byte[3 << 20];
        new Random(5).nextBytes(model);
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.write(src.resolve("model.safetensors"), model);
        Files.createDirectories(src.resolve("sub dir"));
        Files.writeString(src.resolve("sub dir/config.json"), "{\"a\":1}");
        revision = store.publish(REPO, "main", src);
        server = new ArtifactTestServer(store);
    }

    @AfterEach
    void stop() {
        server.close();
        client.close();
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void modelInfo_byBranch_listsSiblingsShortLived() throws Exception {
        HttpResponse<byte[]> r = get("api/models/" + REPO);
        assertEquals(200, r.statusCode());
        JsonNode info = JSON.readTree(r.body());
        assertEquals(REPO, info.get("id").asText());
        assertEquals(revision.id(), info.get("sha").asText());
        assertEquals("model.safetensors", info.get("siblings").get(0).get("rfilename").asText());
        assertEquals("sub dir/config.json", info.get("siblings").get(1).get("rfilename").asText());
        assertEquals(model.length, info.get("siblings").get(0).get("size").asLong());
        assertEquals(ArtifactResponder.BRANCH, r.headers().firstValue("Cache-Control").orElseThrow());
        assertEquals(revision.id(), r.headers().firstValue("X-Repo-Commit").orElseThrow());
    }

    @Test
    void tree_listsFilesAndDirectories_asTheHubDoes_recursiveOrNot() throws Exception {
        HttpResponse<byte[]> root = get("/api/models/" + REPO + "/tree/main?recursive=false&expand=false");
        assertEquals(200, root.statusCode(), new String(root.body(), StandardCharsets.UTF_8));
        JsonNode list = JSON.readTree(root.body());
        assertEquals(2, list.size(), list.toString());
        JsonNode weights = list.get(0);
        assertEquals("file", weights.get("type").asText());
        assertEquals("model.safetensors", weights.get("path").asText());
        assertEquals(model.length, weights.get("size").asLong());
        assertEquals(sha256(model), weights.get("lfs").get("oid").asText());
        // The oid of an LFS file is the git blob id of its pointer file.
        String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(model) + "\nsize " + model.length + "\n";
        assertEquals(gitBlobId(pointer.getBytes(StandardCharsets.US_ASCII)), weights.get("oid").asText());
        assertEquals(pointer.length(), weights.get("lfs").get("pointerSize").asInt());
        assertEquals("directory", list.get(1).get("type").asText());
        assertEquals("sub dir", list.get(1).get("path").asText());
        assertTrue(root.headers().firstValue("Cache-Control").orElseThrow().contains("max-age=60"), "by branch: short-lived");

        JsonNode all = JSON.readTree(get("/api/models/" + REPO + "/tree/" + revision.id() + "?recursive=true").body());
        assertEquals(List.of("model.safetensors", "sub dir", "sub dir/config.json"),
                java.util.stream.StreamSupport.stream(all.spliterator(), false).map(n -> n.get("path").asText()).toList());
        JsonNode sub = JSON.readTree(get("/api/models/" + REPO + "/tree/" + revision.id() + "/sub%20dir").body());
        assertEquals(1, sub.size());
        assertEquals("sub dir/config.json", sub.get(0).get("path").asText());
        assertEquals(7, sub.get(0).get("size").asLong());
        assertTrue(get("/api/models/" + REPO + "/tree/" + revision.id()).headers().firstValue("Cache-Control")
                .orElseThrow().contains("immutable"));

        assertError(get("/api/models/" + REPO + "/tree/main/nowhere"), 404, "EntryNotFound");
        assertError(get("/api/models/" + REPO + "/tree/main/model.safetensors"), 404, "EntryNotFound");
        assertError(get("/api/models/" + REPO + "/tree/" + "f".repeat(40)), 404, "RevisionNotFound");
    }

    @Test
    void pathsInfo_answersThePathsAsked_fromAJsonOrAFormBody() throws Exception {
        URI uri = server.uri().resolve("/api/models/" + REPO + "/paths-info/main");
        HttpResponse<byte[]> json = client.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"paths\":[\"sub dir/config.json\",\"nowhere\",\"sub dir\"],\"expand\":true}"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, json.statusCode(), new String(json.body(), StandardCharsets.UTF_8));
        JsonNode list = JSON.readTree(json.body());
        assertEquals(2, list.size(), "paths that do not exist are left out: " + list);
        assertEquals("sub dir/config.json", list.get(0).get("path").asText());
        assertEquals(sha256("{\"a\":1}".getBytes(StandardCharsets.UTF_8)), list.get(0).get("lfs").get("oid").asText());
        assertEquals(revision.id(), list.get(0).get("lastCommit").get("id").asText(), "expand names the revision");
        assertEquals("directory", list.get(1).get("type").asText());

        HttpResponse<byte[]> form = client.send(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("paths=model.safetensors&paths=sub+dir%2Fconfig.json&expand=False"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode fromForm = JSON.readTree(form.body());
        assertEquals(2, fromForm.size(), fromForm.toString());
        assertEquals(model.length, fromForm.get(0).get("size").asLong());
        assertTrue(fromForm.get(0).path("lastCommit").isMissingNode());

        assertError(get("/api/models/" + REPO + "/paths-info/main"), 405, "MethodNotAllowed");
        HttpResponse<byte[]> bad = client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertError(bad, 400, "BadRequest");
        HttpResponse<byte[]> huge = client.send(HttpRequest.newBuilder(uri)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[(1 << 20) + 1])).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(413, huge.statusCode());
        // The connection still serves: a request after a POST's body is answered in order.
        assertEquals(200, get("/api/models/" + REPO).statusCode());
    }

    private static String gitBlobId(byte[] content) throws Exception {
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(sha1.digest(content));
    }

    @Test
    void commits_listThePublishedRevisionsUpToTheOneAsked_newestFirst() throws Exception {
        Path next = Files.createDirectories(tmp.resolve("next"));
        Files.writeString(next.resolve("config.json"), "{\"v\":2}");
        Revision second = store.publish(REPO, "main", next);
        Files.writeString(next.resolve("config.json"), "{\"v\":3}");
        Revision third = store.publish(REPO, "main", next);

        HttpResponse<byte[]> all = get("/api/models/" + REPO + "/commits/main?limit=100");
        assertEquals(200, all.statusCode(), new String(all.body(), StandardCharsets.UTF_8));
        JsonNode list = JSON.readTree(all.body());
        assertEquals(List.of(third.id(), second.id(), revision.id()),
                List.of(list.get(0).get("id").asText(), list.get(1).get("id").asText(), list.get(2).get("id").asText()));
        JsonNode newest = list.get(0);
        assertEquals("Publish " + REPO + " version " + third.manifest().version(), newest.get("title").asText());
        assertEquals("yunjing", newest.get("authors").get(0).get("user").asText());
        assertEquals(third.manifest().published().toString(), newest.get("date").asText());
        assertEquals(ArtifactResponder.BRANCH, all.headers().firstValue("Cache-Control").orElseThrow());

        JsonNode upToSecond = JSON.readTree(get("/api/models/" + REPO + "/commits/" + second.id()).body());
        assertEquals(2, upToSecond.size());
        assertEquals(second.id(), upToSecond.get(0).get("id").asText());
        assertEquals(ArtifactResponder.BRANCH, get("/api/models/" + REPO + "/commits/" + second.id())
                .headers().firstValue("Cache-Control").orElseThrow(), "a new publish or a re-signed revision changes it");
        assertEquals(404, get("/api/models/" + REPO + "/commits/" + "f".repeat(40)).statusCode());
        assertEquals(404, get("/api/models/acme/none/commits/main").statusCode());
    }

    @Test
    void modelInfo_byRevisionId_isImmutable() throws Exception {
        HttpResponse<byte[]> r = get("api/models/" + REPO + "/revision/" + revision.id());
        assertEquals(200, r.statusCode());
        assertEquals(revision.id(), JSON.readTree(r.body()).get("sha").asText());
        assertTrue(r.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
    }

    @Test
    void resolve_head_carriesHubHeadersAndNoBody() throws Exception {
        HttpResponse<Void> r = client.send(HttpRequest.newBuilder(server.uri().resolve(REPO + "/resolve/main/model.safetensors"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, r.statusCode());
        String sha = sha256(model);
        assertEquals(revision.id(), r.headers().firstValue("X-Repo-Commit").orElseThrow());
        assertEquals("\"" + sha + "\"", r.headers().firstValue("X-Linked-Etag").orElseThrow());
        assertEquals("\"" + sha + "\"", r.headers().firstValue("ETag").orElseThrow());
        assertEquals(String.valueOf(model.length), r.headers().firstValue("X-Linked-Size").orElseThrow());
        assertEquals(String.valueOf(model.length), r.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("bytes", r.headers().firstValue("Accept-Ranges").orElseThrow());
        assertEquals(ArtifactResponder.BRANCH, r.headers().firstValue("Cache-Control").orElseThrow());
    }

    @Test
    void resolve_get_sendsWholeFileByRevisionImmutable() throws Exception {
        HttpResponse<byte[]> r = get(REPO + "/resolve/" + revision.id() + "/model.safetensors");
        assertEquals(200, r.statusCode());
        assertArrayEquals(model, r.body());
        assertTrue(r.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
        HttpResponse<byte[]> config = get(REPO + "/resolve/main/sub%20dir/config.json");
        assertEquals("{\"a\":1}", new String(config.body(), StandardCharsets.UTF_8));
    }

    @Test
    void resolve_ranges_206_416_andIgnoredForms() throws Exception {
        String path = REPO + "/resolve/main/model.safetensors";
        HttpResponse<byte[]> r = get(path, "Range", "bytes=100-199");
        assertEquals(206, r.statusCode());
        assertEquals("bytes 100-199/" + model.length, r.headers().firstValue("Content-Range").orElseThrow());
        assertArrayEquals(Arrays.copyOfRange(model, 100, 200), r.body());

        r = get(path, "Range", "bytes=-10");
        assertEquals(206, r.statusCode());
        assertArrayEquals(Arrays.copyOfRange(model, model.length - 10, model.length), r.body());

        r = get(path, "Range", "bytes=" + model.length + "-");
        assertEquals(416, r.statusCode());
        assertEquals("bytes */" + model.length, r.headers().firstValue("Content-Range").orElseThrow());

        r = get(path, "Range", "bytes=0-1,5-6");
        assertEquals(200, r.statusCode());
        assertEquals(model.length, r.body().length);

        r = get(path, "Range", "bytes=0-9", "If-Range", "\"other\"");
        assertEquals(200, r.statusCode());
        r = get(path, "Range", "bytes=0-9", "If-Range", "\"" + sha256(model) + "\"");
        assertEquals(206, r.statusCode());
    }

    @Test
    void resolve_ifNoneMatch_304() throws Exception {
        HttpResponse<byte[]> r = get(REPO + "/resolve/main/model.safetensors", "If-None-Match", "\"" + sha256(model) + "\"");
        assertEquals(304, r.statusCode());
        assertEquals(0, r.body().length);
    }

    @Test
    void missingThings_404WithHubErrorCodes() throws Exception {
        assertError(get(REPO + "/resolve/main/nope.bin"), 404, "EntryNotFound");
        assertError(get("yunjing/absent/resolve/main/model.safetensors"), 404, "RepoNotFound");
        assertError(get(REPO + "/resolve/v2/model.safetensors"), 404, "RevisionNotFound");
        assertError(get("api/models/" + REPO + "/revision/" + "0".repeat(40)), 404, "RevisionNotFound");
        assertError(get(REPO + "/resolve/main/sub%2Fdir/config.json"), 400, "BadRequest");
        assertError(get(REPO + "/resolve/main/%2e%2e/%2e%2e/version"), 400, "BadRequest");
        HttpResponse<byte[]> post = client.send(HttpRequest.newBuilder(server.uri().resolve("api/models/" + REPO))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertError(post, 405, "MethodNotAllowed");
    }

    @Test
    void rawDotDotPath_isRefusedNotResolved() throws Exception {
        String answer = raw("GET /" + REPO + "/resolve/main/../../refs/main HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("\"error\""), answer);
    }

    @Test
    void otherPaths_passOnToTheApi_inPipelinedOrder() throws Exception {
        String answer = raw("GET /" + REPO + "/resolve/main/sub%20dir/config.json HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /api/models/" + REPO + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        int config = answer.indexOf("{\"a\":1}");
        int api = answer.indexOf("api /v1/models");
        int info = answer.indexOf("\"siblings\"");
        assertTrue(config > 0 && api > config && info > api, answer);
    }

    @Test
    void manifest_isServedSigned_andPolledConditionally() throws Exception {
        HttpManifestSource manifests = new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10));
        byte[] signed = manifests.fetch(REPO, "main");
        assertArrayEquals(Files.readAllBytes(revision.directory().resolve(Manifest.FILE_NAME)), signed);
        new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC()).verify(signed, REPO, null);
        String etag = manifests.fetchIfChanged(REPO, "main", null).orElseThrow().etag();
        assertTrue(manifests.fetchIfChanged(REPO, "main", etag).isEmpty(), "unchanged manifest: 304");
        assertEquals(ArtifactResponder.MANIFEST, get("api/sync/" + REPO + "/manifest/main").headers()
                .firstValue("Cache-Control").orElseThrow());
        HttpResponse<byte[]> gz = get("api/sync/" + REPO + "/manifest/main", "Accept-Encoding", "gzip");
        assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElseThrow());
        assertTrue(gz.body().length < signed.length / 2 + 1024, "hex hashes compress");
        try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz.body()))) {
            assertArrayEquals(signed, in.readAllBytes());
        }
        assertEquals(304, get("api/sync/" + REPO + "/manifest/main", "Accept-Encoding", "gzip",
                "If-None-Match", gz.headers().firstValue("ETag").orElseThrow()).statusCode());
        assertEquals(200, get("api/sync/" + REPO + "/manifest/main", "Accept-Encoding", "gzip;q=0").statusCode());
        assertTrue(get("api/sync/" + REPO + "/manifest/main", "Accept-Encoding", "gzip;q=0").headers()
                .firstValue("Content-Encoding").isEmpty());
    }

    @Test
    void deltaAgent_replicatesThroughTheHandler() throws Exception {
        HttpManifestSource manifests = new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10));
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        DeltaAgent agent = DeltaAgent.builder(replica, new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC()),
                new HttpChunkSource(client, server.uri(), Duration.ofSeconds(10))).build();
        DeltaAgent.Result result = agent.sync(REPO, "main", manifests.fetch(REPO, "main"));
        assertEquals(revision.id(), result.revision().id());
        assertArrayEquals(model, Files.readAllBytes(result.revision().directory().resolve("model.safetensors")));
    }

    @Test
    void byteSpans_byRevision_areWhole200sForCaches() throws Exception {
        HttpResponse<byte[]> r = get("api/sync/" + REPO + "/bytes/" + revision.id() + "/10-19/model.safetensors");
        assertEquals(200, r.statusCode());
        assertArrayEquals(Arrays.copyOfRange(model, 10, 20), r.body());
        assertTrue(r.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
        assertError(get("api/sync/" + REPO + "/bytes/main/10-19/model.safetensors"), 400, "BadRequest");
        assertError(get("api/sync/" + REPO + "/bytes/" + revision.id() + "/9-3/model.safetensors"), 400, "BadRequest");
        assertError(get("api/sync/" + REPO + "/bytes/" + revision.id() + "/0-" + model.length + "/model.safetensors"),
                416, "RangeNotSatisfiable");
    }

    @Test
    void deltaAgent_withCacheableSpans_replicatesThroughTheHandler() throws Exception {
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica-spans"));
        DeltaAgent agent = DeltaAgent.builder(replica, new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC()),
                HttpChunkSource.cacheable(client, server.uri(), Duration.ofSeconds(10))).maxRangeBytes(1 << 20).build();
        byte[] signed = new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10)).fetch(REPO, "main");
        DeltaAgent.Result result = agent.sync(REPO, "main", signed);
        assertArrayEquals(model, Files.readAllBytes(result.revision().directory().resolve("model.safetensors")));
        assertTrue(result.stats().requests() >= 3, "several spans of at most 1 MiB");
    }

    @Test
    void byteSpanLists_concatenateTheSpans_andBadListsAre400() throws Exception {
        String base = "api/sync/" + REPO + "/bytes/" + revision.id() + "/";
        HttpResponse<byte[]> r = get(base + "10-19,1000-1004,2000000-2000099/model.safetensors");
        assertEquals(200, r.statusCode());
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(model, 10, 10);
        expected.write(model, 1000, 5);
        expected.write(model, 2_000_000, 100);
        assertArrayEquals(expected.toByteArray(), r.body());
        assertTrue(r.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
        assertError(get(base + "10-19,15-30/model.safetensors"), 400, "BadRequest"); // overlapping
        assertError(get(base + "100-199,10-19/model.safetensors"), 400, "BadRequest"); // descending
        assertError(get(base + "10-19,/model.safetensors"), 400, "BadRequest");
        StringBuilder tooMany = new StringBuilder();
        for (int i = 0; i <= ByteSpan.MAX_PER_REQUEST; i++) {
            tooMany.append(i == 0 ? "" : ",").append(i * 10).append('-').append(i * 10 + 1);
        }
        assertError(get(base + tooMany + "/model.safetensors"), 400, "BadRequest");
        assertError(get(base + "0-0,9000000-9000001/model.safetensors"), 416, "RangeNotSatisfiable");
    }

    @Test
    void blockDigests_ofASpanList_areEachSpansDigestsInOrder() throws Exception {
        HttpResponse<byte[]> r = get("api/sync/" + REPO + "/blocks/" + revision.id() + "/100-2147,5000-5999/model.safetensors");
        assertEquals(200, r.statusCode());
        int first = BlockDigests.blocks(2048) * BlockDigests.DIGEST_BYTES;
        byte[] expected = new byte[first + BlockDigests.DIGEST_BYTES];
        BlockDigests.digest(model, 100, 2048, expected, 0);
        BlockDigests.digest(model, 5000, 1000, expected, first);
        assertArrayEquals(expected, r.body());
    }

    @Test
    void blockDigests_matchTheBytesTheyDescribe() throws Exception {
        HttpResponse<byte[]> r = get("api/sync/" + REPO + "/blocks/" + revision.id() + "/100-10099/model.safetensors");
        assertEquals(200, r.statusCode());
        byte[] expected = new byte[BlockDigests.blocks(10_000) * BlockDigests.DIGEST_BYTES];
        BlockDigests.digest(Arrays.copyOfRange(model, 100, 10_100), 0, 10_000, expected, 0);
        assertArrayEquals(expected, r.body());
    }

    @Test
    void deltaAgent_patchesSmallInPlaceEditsFromTheOldFile_fetchingOnlyChangedBlocks() throws Exception {
        HttpClient c = client;
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica-patch"));
        DeltaAgent agent = DeltaAgent.builder(replica, new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC()),
                HttpChunkSource.cacheable(c, server.uri(), Duration.ofSeconds(10))).build();
        HttpManifestSource manifests = new HttpManifestSource(c, server.uri(), Duration.ofSeconds(10));
        agent.sync(REPO, "main", manifests.fetch(REPO, "main"));

        byte[] edited = model.clone();
        for (int at : new int[] {10_000, 1_500_000, 3_000_000}) {
            for (int i = 0; i < 100; i++) {
                edited[at + i] ^= 0x5a;
            }
        }
        DeltaAgent.Result result = publishAndSync(agent, manifests, "src2", edited);
        // Whole chunks would cost 3 x 16..256 KiB; changed blocks cost about 3 x 4 KiB plus the digests.
        assertTrue(result.stats().bytesFetched() < 48 * 1024, "fetched " + result.stats());
        assertEquals(0, result.stats().verifyFailures());
        // A batch of runs costs two requests (digests, differing blocks), and there are at most as many batches as workers.
        assertTrue(result.stats().requests() <= 2 * 3, "requests " + result.stats());
    }

    @Test
    void deltaAgent_patchesManyScatteredEdits_inTwoRequestsPerBatch() throws Exception {
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica-many"));
        DeltaAgent agent = DeltaAgent.builder(replica, new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC()),
                HttpChunkSource.cacheable(client, server.uri(), Duration.ofSeconds(10))).concurrency(2).build();
        HttpManifestSource manifests = new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10));
        agent.sync(REPO, "main", manifests.fetch(REPO, "main"));

        byte[] edited = model.clone();
        for (int k = 0; k < 40; k++) {
            for (int i = 0; i < 50; i++) {
                edited[k * 78_000 + 500 + i] ^= 0x33; // 40 edits of 50 bytes, one per ~76 KiB: most chunks change
            }
        }
        DeltaAgent.Result result = publishAndSync(agent, manifests, "src3", edited);
        assertEquals(0, result.stats().verifyFailures());
        // Two workers, so about two batches; one request per run would be 2 x (runs) requests.
        assertTrue(result.stats().requests() <= 2 * 3, "requests " + result.stats());
        assertTrue(result.stats().bytesFetched() < 40 * 4096, "fetched " + result.stats());
    }

    private static void assertError(HttpResponse<byte[]> r, int status, String code) throws IOException {
        assertEquals(status, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(code, r.headers().firstValue("X-Error-Code").orElseThrow());
        assertTrue(JSON.readTree(r.body()).get("error").isTextual());
    }

    private String raw(String requests) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Publishes {@code edited} as the new main (with the sub dir's config) and syncs it; checks the bytes. */
    private DeltaAgent.Result publishAndSync(DeltaAgent agent, HttpManifestSource manifests, String dir, byte[] edited)
            throws Exception {
        Path src = Files.createDirectories(tmp.resolve(dir));
        Files.write(src.resolve("model.safetensors"), edited);
        Files.createDirectories(src.resolve("sub dir"));
        Files.writeString(src.resolve("sub dir/config.json"), "{\"a\":1}");
        store.publish(REPO, "main", src);
        DeltaAgent.Result result = agent.sync(REPO, "main", manifests.fetch(REPO, "main"));
        assertArrayEquals(edited, Files.readAllBytes(result.revision().directory().resolve("model.safetensors")));
        return result;
    }
}
