package yunjing.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestOrigin;
import yunjing.proxy.testing.TestNetwork;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin operations of {@link ProxyServer}: purge, purgePrefix and cacheStats. */
@ExtendWith(LeakCheck.class)
class ProxyPurgeTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("purge-test");


    @TempDir
    Path dir;
    private TestOrigin origin;
    private ProxyServer edge;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
        edge = startEdge(CacheConfig.withDisk(dir));
    }

    private ProxyServer startEdge(CacheConfig cache) throws Exception {
        return Nodes.startEdge(origin, cache, 0, NET.loops(), NET.metrics());
    }

    @AfterEach
    void stop() {
        origin.holdGate.countDown();
        edge.close();
        origin.close();
    }

    private String host() {
        return "127.0.0.1:" + edge.httpAddress().getPort();
    }

    private HttpRequest request(String target, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host() + target))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    private HttpResponse<String> get(String target, String... headers) throws Exception {
        return NET.client().send(request(target, headers), HttpResponse.BodyHandlers.ofString());
    }

    private static String cacheStatus(HttpResponse<?> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    private long entryFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".entry")).count();
        }
    }

    @Test
    void purge_removesEveryVaryVariant_fromMemoryAndDisk() throws Exception {
        String target = "/cached/vary?cc=max-age%3D600&vary=Accept-Language&echo=Accept-Language";
        get(target, "Accept-Language", "en");
        get(target, "Accept-Language", "zh");
        assertEquals("gz-unicom; hit", cacheStatus(get(target, "Accept-Language", "zh")));
        Nodes.await("both variants on disk", () -> edge.cacheStats().l2Entries() == 2);
        assertEquals(2, edge.cacheStats().l1Entries());

        assertEquals(2, edge.purge("http://" + host() + target));

        CacheStats after = edge.cacheStats();
        assertEquals(0, after.l1Entries());
        assertEquals(0, after.l2Entries());
        assertEquals(0, after.l2Bytes());
        Nodes.await("entry files deleted", () -> {
            try {
                return entryFiles() == 0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        HttpResponse<String> refetched = get(target, "Accept-Language", "en");
        assertEquals("en", refetched.body());
        assertTrue(cacheStatus(refetched).endsWith("gz-unicom; fwd=miss; stored"), cacheStatus(refetched));
        assertEquals(3, origin.fetchCount(target));
        assertEquals(0, edge.purge(host() + "/cached/never-stored"));
    }

    private HttpResponse<String> send(String method, String target, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host() + target))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.ofString("x"));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return NET.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void unsafeRequests_thatSucceed_invalidateTheirTargetAndSameHostLocation() throws Exception {
        String target = "/cached/inv/a?cc=max-age%3D600";
        String located = "/cached/inv/b?cc=max-age%3D600";
        String elsewhere = "/cached/inv/c?cc=max-age%3D600";
        for (String t : List.of(target, located, elsewhere)) {
            get(t);
            assertEquals("gz-unicom; hit", cacheStatus(get(t)), t);
        }
        Nodes.await("on disk", () -> edge.cacheStats().l2Entries() == 3);

        // An error response changes nothing (RFC 9111 §4.4: only non-error responses invalidate).
        assertEquals(500, send("POST", target, "X-Test-Status", "500").statusCode());
        assertEquals("gz-unicom; hit", cacheStatus(get(target)));

        // A successful PUT: its target and its Location on the same host go; a Location on another host
        // invalidates nothing there (nor here).
        assertEquals(201, send("PUT", target, "X-Test-Status", "201", "X-Test-Location", located).statusCode());
        assertTrue(cacheStatus(get(target)).endsWith("fwd=miss; stored"), "target invalidated");
        assertTrue(cacheStatus(get(located)).endsWith("fwd=miss; stored"), "same-host Location invalidated");
        assertEquals(200, send("DELETE", "/cached/inv/other", "X-Test-Location",
                "http://other.example" + elsewhere).statusCode());
        assertEquals("gz-unicom; hit", cacheStatus(get(elsewhere)), "another host's URL is left alone");
        // Safe methods never invalidate.
        assertEquals(200, send("OPTIONS", elsewhere).statusCode());
        assertEquals("gz-unicom; hit", cacheStatus(get(elsewhere)));
        assertEquals(2, origin.fetchCount(elsewhere), "one GET filled it, then the OPTIONS went through");
    }

    @Test
    void purge_normalisesTheUrlAsLookupsDo() throws Exception {
        String target = "/cached/norm/b?cc=max-age%3D600";
        get(target);
        // Host case, dot segments and an escaped unreserved character are normalised (RFC 3986 §6.2.2).
        assertEquals(1, edge.purge("HTTP://" + host().toUpperCase() + "/cached/norm/a/../%62?cc=max-age%3D600"));
        assertTrue(cacheStatus(get(target)).endsWith("fwd=miss; stored"));
    }

    @Test
    void purgePrefix_removesOnlyKeysUnderThePrefix() throws Exception {
        List<String> under = List.of("/cached/p/a?cc=max-age%3D600", "/cached/p/b/c?cc=max-age%3D600");
        String other = "/cached/q/a?cc=max-age%3D600";
        for (String t : under) {
            get(t);
        }
        get(other);
        Nodes.await("on disk", () -> edge.cacheStats().l2Entries() == 3);

        assertEquals(2, edge.purgePrefix(host() + "/cached/p/"));

        assertEquals("gz-unicom; hit", cacheStatus(get(other)));
        for (String t : under) {
            assertTrue(cacheStatus(get(t)).endsWith("fwd=miss; stored"), t);
        }
        Nodes.await("refetched entries on disk", () -> edge.cacheStats().l2Entries() == 3);
        // A bare host purges its whole tree.
        assertEquals(3, edge.purgePrefix("http://" + host()));
    }

    @Test
    void purge_duringAFill_keepsTheFillFromStoring() throws Exception {
        String target = "/cached/inflight?cc=max-age%3D600&n=400000&hold=1";
        CompletableFuture<HttpResponse<InputStream>> reading =
                NET.client().sendAsync(request(target), HttpResponse.BodyHandlers.ofInputStream());
        assertTrue(origin.holding.await(10, TimeUnit.SECONDS), "the fill reached the origin");
        HttpResponse<InputStream> response = reading.get(10, TimeUnit.SECONDS);

        assertEquals(0, edge.purge(host() + target), "nothing stored yet");
        origin.holdGate.countDown();
        try (InputStream body = response.body()) {
            assertEquals(400_000, body.readAllBytes().length, "the reader still gets the whole body");
        }

        HttpResponse<String> after = get(target);
        assertTrue(cacheStatus(after).endsWith("gz-unicom; fwd=miss; stored"), cacheStatus(after));
        assertEquals(2, origin.fetchCount(target));
    }

    @Test
    void cacheStats_countsResultsAndEvictions() throws Exception {
        edge.close();
        edge = startEdge(CacheConfig.memoryOnly().withL1(1 << 20, 512 << 10));
        String hit = "/cached/stats?cc=max-age%3D600";
        get(hit);
        get(hit);
        String validated = "/cached/validated?cc=no-cache&etag=" + URLEncoder.encode("\"e1\"", StandardCharsets.UTF_8);
        get(validated);
        assertTrue(cacheStatus(get(validated)).contains("fwd-status=304"));

        CacheStats stats = edge.cacheStats();
        assertEquals(1, stats.hits());
        assertEquals(2, stats.misses());
        assertEquals(1, stats.stale());
        assertEquals(1, stats.revalidated());
        assertEquals(0, stats.collapsed());
        assertEquals(2, stats.l1Entries());
        assertTrue(stats.l1Bytes() > 0, "l1Bytes " + stats.l1Bytes());
        assertEquals(0, stats.l2Entries());
        assertEquals(0, stats.evictions());

        for (int i = 0; i < 6; i++) {
            get("/cached/big" + i + "?cc=max-age%3D600&n=300000"); // 1.8 MB through a 1 MiB L1
        }
        CacheStats after = edge.cacheStats();
        assertTrue(after.evictions() >= 3, "evictions " + after.evictions());
        assertTrue(after.l1Bytes() <= 1 << 20, "l1Bytes " + after.l1Bytes());
    }

    @Test
    void purge_withoutHost_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> edge.purge("/cached/x"));
        assertTrue(e.getMessage().contains("/cached/x"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> edge.purgePrefix(null));
    }
}
