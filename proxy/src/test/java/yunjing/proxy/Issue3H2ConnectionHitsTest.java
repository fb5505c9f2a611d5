package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.testing.H2cFrameClient;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestCertificate;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.proxy.testing.H2cFrameClient.request;

/**
 * Issue 3: h2 cache hits were twice as expensive as HTTP/1.1 hits because every stream got a child channel
 * and pipeline. Complete hits are now answered as frames on the connection ({@code Http2CacheHits}); these
 * tests show that the frames are the ones the child channel path sends for the same hit, that everything
 * else still takes that path, and that the connection survives resets and many streams.
 *
 * <p>A client whose stream window (512 bytes) is smaller than an entry makes the node take the child channel
 * path for a hit of it (the fast path only writes what fits the windows): the same request, answered both ways.
 */
@ExtendWith(LeakCheck.class)
class Issue3H2ConnectionHitsTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("h2-hits-test");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WIDE = 1 << 20;
    private static final int NARROW = 512;
    private static final String CACHED = "/cached/same?cc=max-age%3D60&n=1024&etag=%22v1%22&lm=Sat,%2001%20Jan%202026%2000:00:00%20GMT";

    @TempDir
    Path dir;

    private TestOrigin origin;
    private ProxyServer edge;
    private String authority;

    @BeforeEach
    void start() throws Exception {
        origin = NET.add(new TestOrigin());
        edge = NET.add(Nodes.startEdge(origin, CacheConfig.memoryOnly(), 0, NET.loops(), NET.metrics()));
        // What the JDK client sends as Host, so HTTP/1.1 requests share the cache key.
        authority = "127.0.0.1:" + edge.httpAddress().getPort();
    }

    @Test
    void completeHit_isAnsweredOnTheConnection_withTheFramesOfTheChildChannelPath() throws Exception {
        H2cFrameClient.Response miss = fetch(WIDE, request("GET", CACHED, authority));
        assertEquals("gz-unicom; fwd=miss; stored", miss.head().get("cache-status"));
        assertEquals(0, connectionHits());
        double hitsBefore = counter("yunjing.proxy.cache.requests", "result", "hit");
        double okBefore = counter("yunjing.proxy.requests", "status", "2xx");
        double l1Before = counter("yunjing.proxy.cache.served.bytes", "tier", "l1");

        H2cFrameClient.Response fast = fetch(WIDE, request("GET", CACHED, authority));
        assertEquals(1, connectionHits());
        H2cFrameClient.Response child = fetch(NARROW, request("GET", CACHED, authority));
        assertEquals(1, connectionHits(), "a body larger than the stream window takes the child channel");

        assertSameFrames(child, fast);
        assertEquals("200", fast.head().get(":status"));
        assertEquals("gz-unicom; hit", fast.head().get("cache-status"));
        assertEquals("1.1 gz-unicom", fast.head().get("via"));
        assertEquals("1024", fast.head().get("content-length"));
        assertArrayEquals(bytes(1024), fast.body());
        assertEquals(List.of(true), fast.dataEndStream(), "the whole body in one DATA frame with END_STREAM");
        // Counted as the child path counts a hit, once per hit.
        assertEquals(hitsBefore + 2, counter("yunjing.proxy.cache.requests", "result", "hit"));
        assertEquals(okBefore + 2, counter("yunjing.proxy.requests", "status", "2xx"));
        assertEquals(l1Before + 2048, counter("yunjing.proxy.cache.served.bytes", "tier", "l1"));

        // The same hit to an HTTP/1.1 client: the same fields (its own request id; Age may have ticked).
        HttpResponse<byte[]> h1 = NET.client().send(HttpRequest.newBuilder(
                URI.create("http://" + authority + CACHED)).build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> h1Fields = new HashMap<>();
        h1.headers().map().forEach((name, values) -> h1Fields.put(name, String.join(", ", values)));
        Map<String, String> h2Fields = new HashMap<>();
        fast.head().fields().stream().filter(f -> !f.getKey().startsWith(":"))
                .forEach(f -> h2Fields.merge(f.getKey(), f.getValue(), (a, b) -> a + ", " + b));
        assertAgesClose(h2Fields.remove("age"), h1Fields.remove("age"));
        assertNotEquals(h2Fields.remove("x-request-id"), h1Fields.remove("x-request-id"));
        assertEquals(h1Fields, h2Fields);
        assertEquals(h1.statusCode(), Integer.parseInt(fast.head().get(":status")));
        assertArrayEquals(h1.body(), fast.body());
    }

    @Test
    void headRangeAndConditionalHits_matchTheChildChannelPath() throws Exception {
        fetch(WIDE, request("GET", CACHED, authority));
        List<Http2Headers> variants = List.of(
                request("HEAD", CACHED, authority),
                request("GET", CACHED, authority, "range", "bytes=0-99"),
                request("GET", CACHED, authority, "range", "bytes=5000-6000"),
                request("GET", CACHED, authority, "if-none-match", "\"v1\""),
                request("GET", CACHED, authority, "if-modified-since", "Sat, 01 Jan 2026 00:00:00 GMT"),
                request("GET", CACHED, authority, "range", "bytes=0-9", "if-range", "\"v0\""),
                request("GET", CACHED, authority, "x-request-id", "client-chosen-id"));
        List<String> statuses = new ArrayList<>();
        for (Http2Headers variant : variants) {
            double before = connectionHits();
            H2cFrameClient.Response fast = fetch(WIDE, variant);
            assertEquals(before + 1, connectionHits(), "on the connection: " + variant);
            H2cFrameClient.Response child = fetch(NARROW, variant);
            assertEquals(before + 1, connectionHits());
            assertSameFrames(child, fast);
            statuses.add(fast.head().get(":status") + "/" + fast.body().length);
        }
        assertEquals(List.of("200/0", "206/100", "416/0", "304/0", "304/0", "200/1024", "200/1024"), statuses);
        assertEquals("client-chosen-id", fetch(WIDE, variants.getLast()).head().get("x-request-id"));
        assertEquals(1, origin.fetchCount(CACHED));
    }

    @Test
    void missesUploadsAndBodiesBeyondTheWindow_takeTheChildChannel() throws Exception {
        String other = "/cached/other?cc=max-age%3D60&n=300";
        H2cFrameClient.Response miss = fetch(WIDE, request("GET", other, authority));
        assertEquals("gz-unicom; fwd=miss; stored", miss.head().get("cache-status"));
        assertArrayEquals(bytes(300), miss.body());

        byte[] upload = "hello h2".getBytes(StandardCharsets.US_ASCII);
        H2cFrameClient.Response post = fetch(WIDE, request("POST", "/echo/up", authority), upload);
        assertEquals("200", post.head().get(":status"));
        assertEquals(upload.length, JSON.readTree(post.body()).get("bodyBytes").asInt());

        // A GET whose HEADERS do not end the stream (an empty DATA frame does) is forwarded, as before.
        H2cFrameClient.Response withData = fetch(WIDE, request("GET", other, authority), new byte[0]);
        assertEquals("200", withData.head().get(":status"));
        assertEquals(0, connectionHits());

        // 200 KB: over the 64 KiB default window it goes the child path; within a 1 MiB window, on the connection.
        String large = "/cached/large?cc=max-age%3D60&n=200000";
        fetch(WIDE, request("GET", large, authority));
        H2cFrameClient.Response child = fetch(65_535, request("GET", large, authority));
        assertEquals(0, connectionHits());
        H2cFrameClient.Response fast = fetch(WIDE, request("GET", large, authority));
        assertEquals(1, connectionHits());
        assertArrayEquals(bytes(200_000), child.body());
        assertArrayEquals(bytes(200_000), fast.body());
        assertEquals(child.head().fields().size(), fast.head().fields().size());
        assertEquals(1, origin.fetchCount(large));
    }

    @Test
    void resetsAndManyConcurrentStreams_leaveTheConnectionServing() throws Exception {
        fetch(WIDE, request("GET", CACHED, authority));
        try (H2cFrameClient client = new H2cFrameClient(NET.loops(), edge.httpAddress(), WIDE)) {
            List<CompletableFuture<H2cFrameClient.Response>> hits = new ArrayList<>();
            List<CompletableFuture<H2cFrameClient.Response>> misses = new ArrayList<>();
            List<CompletableFuture<H2cFrameClient.Response>> reset = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                hits.add(client.send(request("GET", CACHED, authority), null));
                if (i % 10 == 0) {
                    misses.add(client.send(request("GET", "/cached/m" + i + "?cc=max-age%3D60&n=2000", authority), null));
                    // Reset right behind its request: answered on the connection or not, nothing else notices.
                    reset.add(client.send(request("GET", CACHED, authority), null, true));
                    reset.add(client.send(request("GET", "/cached/r" + i + "?cc=max-age%3D60", authority), null, true));
                }
            }
            for (var hit : hits) {
                H2cFrameClient.Response response = hit.get(10, TimeUnit.SECONDS);
                assertEquals("200", response.head().get(":status"));
                assertArrayEquals(bytes(1024), response.body());
            }
            for (var m : misses) {
                assertArrayEquals(bytes(2000), m.get(10, TimeUnit.SECONDS).body());
            }
            for (var r : reset) {
                assertNotNull(r.get(10, TimeUnit.SECONDS));
            }
            assertTrue(client.isOpen());
            H2cFrameClient.Response after = client.send(request("GET", CACHED, authority), null).get(10, TimeUnit.SECONDS);
            assertArrayEquals(bytes(1024), after.body());
        }
        assertTrue(connectionHits() >= 201, "hits answered on the connection: " + connectionHits());
        assertEquals(1, origin.fetchCount(CACHED));
    }

    /**
     * A client that stops reading while many hits are answered on the connection: the connection turns
     * unwritable and writable again while answered streams are still open (their DATA queued). The
     * multiplexer must not see those streams then (it would look for their child channels).
     */
    @Test
    void hitsBackedUpBehindAClientThatStopsReading_allArrive() throws Exception {
        String large = "/cached/backlog?cc=max-age%3D60&n=60000";
        fetch(WIDE, request("GET", large, authority));
        try (H2cFrameClient client = new H2cFrameClient(NET.loops(), edge.httpAddress(), WIDE)) {
            client.send(request("GET", large, authority), null).get(10, TimeUnit.SECONDS);
            client.reading(false);
            List<CompletableFuture<H2cFrameClient.Response>> hits = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                hits.add(client.send(request("GET", large, authority), null));
            }
            Thread.sleep(300);
            client.reading(true);
            for (var hit : hits) {
                H2cFrameClient.Response response = hit.get(10, TimeUnit.SECONDS);
                assertEquals("200", response.head().get(":status"));
                assertArrayEquals(bytes(60_000), response.body());
            }
            assertTrue(client.isOpen());
        }
        assertTrue(connectionHits() >= 30, "hits answered on the connection: " + connectionHits());
    }

    @Test
    void h2OverTlsAndH2cByUpgrade_hitsAreAnsweredOnTheConnection() throws Exception {
        TestCertificate certificate = TestCertificate.create(dir);
        ProxyServer tls = NET.startReady("tls edge", new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(),
                Nodes.ephemeral(), certificate.certChain, certificate.privateKey, List.of(Nodes.origin(origin)),
                Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL), NET.metrics());
        try (HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(certificate.clientContext()).build()) {
            URI uri = URI.create("https://127.0.0.1:" + tls.httpsAddress().getPort() + CACHED);
            HttpResponse<byte[]> miss = h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<byte[]> hit = h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(HttpClient.Version.HTTP_2, hit.version());
            assertEquals("gz-unicom; fwd=miss; stored", miss.headers().firstValue("cache-status").orElseThrow());
            assertEquals("gz-unicom; hit", hit.headers().firstValue("cache-status").orElseThrow());
            assertArrayEquals(bytes(1024), hit.body());
            assertEquals(1, connectionHits());
        }
        // The JDK client's h2c: the first request is the HTTP/1.1 Upgrade (stream 1), the next one a stream.
        try (HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            URI uri = URI.create("http://127.0.0.1:" + tls.httpAddress().getPort() + CACHED);
            HttpResponse<byte[]> upgraded = h2c.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<byte[]> hit = h2c.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(HttpClient.Version.HTTP_2, upgraded.version());
            assertEquals(HttpClient.Version.HTTP_2, hit.version());
            assertEquals("gz-unicom; fwd=miss; stored", upgraded.headers().firstValue("cache-status").orElseThrow());
            assertEquals("gz-unicom; hit", hit.headers().firstValue("cache-status").orElseThrow());
            assertArrayEquals(bytes(1024), hit.body());
            assertEquals(2, connectionHits());
        }
    }

    @Test
    void accessLog_hasTheSameLineForAHitOnTheConnectionAsForOneOnAStreamChannel() throws Exception {
        Path logFile = dir.resolve("edge.access.jsonl");
        ProxyServer logged = ProxyServer.start(new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(), null, null,
                null, List.of(Nodes.origin(origin)), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL,
                CacheConfig.memoryOnly()).withAccessLog(logFile), NET.loops(), NET.metrics());
        try {
            Nodes.await("edge ready", logged::isReady);
            InetSocketAddress address = logged.httpAddress();
            String host = "127.0.0.1:" + address.getPort();
            fetch(address, WIDE, request("GET", CACHED, host, "x-request-id", "fill"));
            double before = connectionHits();
            fetch(address, WIDE, request("GET", CACHED, host, "x-request-id", "fast", "user-agent", "frames"));
            fetch(address, NARROW, request("GET", CACHED, host, "x-request-id", "child", "user-agent", "frames"));
            assertEquals(before + 1, connectionHits());
        } finally {
            logged.close();
        }
        Map<String, JsonNode> byId = new HashMap<>();
        for (String line : Files.readAllLines(logFile)) {
            JsonNode entry = JSON.readTree(line);
            byId.put(entry.get("request_id").asText(), entry);
        }
        JsonNode fast = byId.get("fast");
        JsonNode child = byId.get("child");
        assertNotNull(fast, byId.toString());
        assertEquals("h2c", fast.get("protocol").asText());
        assertEquals("hit", fast.get("cache").asText());
        assertEquals(1024, fast.get("bytes").asLong());
        assertEquals("ok", fast.get("outcome").asText());
        assertEquals(fieldsOf(child), fieldsOf(fast));
    }

    /** Every field of an access log line but the per-request ones (id, time, durations). */
    private static Map<String, String> fieldsOf(JsonNode entry) {
        Map<String, String> fields = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!List.of("request_id", "time", "duration_ms", "ttfb_ms").contains(field.getKey())) {
                fields.put(field.getKey(), field.getValue().toString());
            }
        }
        return fields;
    }

    /** The same frames, field by field in order: only the request id differs, and Age by at most a second. */
    private static void assertSameFrames(H2cFrameClient.Response expected, H2cFrameClient.Response actual) {
        assertEquals(expected.headers().size(), actual.headers().size(), "HEADERS frames");
        for (int i = 0; i < expected.headers().size(); i++) {
            H2cFrameClient.Headers e = expected.headers().get(i);
            H2cFrameClient.Headers a = actual.headers().get(i);
            assertEquals(e.endStream(), a.endStream());
            assertEquals(names(e), names(a), "field names in order");
            for (int f = 0; f < e.fields().size(); f++) {
                String name = e.fields().get(f).getKey();
                String ev = e.fields().get(f).getValue();
                String av = a.fields().get(f).getValue();
                switch (name) {
                    case "x-request-id" -> assertTrue(ev.equals("client-chosen-id") == av.equals("client-chosen-id"));
                    case "age" -> assertAgesClose(ev, av);
                    default -> assertEquals(ev, av, name);
                }
            }
        }
        assertArrayEquals(expected.body(), actual.body());
        assertEquals(expected.resetCode(), actual.resetCode());
        if (expected.body().length <= NARROW) {
            // Larger bodies are cut into frames by the window on the child path.
            assertEquals(expected.dataEndStream(), actual.dataEndStream(), "DATA frames and END_STREAM flags");
        }
    }

    private static List<String> names(H2cFrameClient.Headers headers) {
        return headers.fields().stream().map(Map.Entry::getKey).toList();
    }

    private static void assertAgesClose(String a, String b) {
        assertNotNull(a);
        assertNotNull(b);
        assertTrue(Math.abs(Long.parseLong(a) - Long.parseLong(b)) <= 1, "Age " + a + " vs " + b);
    }

    private H2cFrameClient.Response fetch(int window, Http2Headers request) throws Exception {
        return fetch(edge.httpAddress(), window, request);
    }

    private H2cFrameClient.Response fetch(int window, Http2Headers request, byte[] body) throws Exception {
        try (H2cFrameClient client = new H2cFrameClient(NET.loops(), edge.httpAddress(), window)) {
            return client.send(request, body).get(10, TimeUnit.SECONDS);
        }
    }

    private static H2cFrameClient.Response fetch(InetSocketAddress address, int window, Http2Headers request)
            throws Exception {
        try (H2cFrameClient client = new H2cFrameClient(NET.loops(), address, window)) {
            return client.send(request, null).get(10, TimeUnit.SECONDS);
        }
    }

    private static double connectionHits() {
        Counter counter = NET.metrics().find("yunjing.proxy.h2.connection.hits").counter();
        return counter == null ? 0 : counter.count();
    }

    private static double counter(String name, String tag, String value) {
        return NET.count(name, tag, value);
    }

    private static byte[] bytes(int n) {
        byte[] body = new byte[n];
        for (int i = 0; i < n; i++) {
            body[i] = (byte) (i % 251);
        }
        return body;
    }
}
