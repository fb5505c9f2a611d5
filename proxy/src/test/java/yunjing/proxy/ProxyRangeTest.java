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
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Range requests answered from the cache (RFC 9110 §14): complete entries in L1 and L2, and fills. */
@ExtendWith(LeakCheck.class)
class ProxyRangeTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("range-test");

    private static final int SIZE = 8 << 20;
    private static final String LAST_MODIFIED = "Sun, 01 Nov 2026 10:00:00 GMT";


    private TestOrigin origin;
    private ProxyServer edge;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
        edge = startEdge(CacheConfig.memoryOnly());
    }

    private ProxyServer startEdge(CacheConfig cache) throws Exception {
        return startEdge(cache, 0);
    }

    private ProxyServer startEdge(CacheConfig cache, int port) throws Exception {
        return Nodes.startEdge(origin, cache, port, NET.loops(), NET.metrics());
    }

    @AfterEach
    void stop() {
        origin.holdGate.countDown();
        edge.close();
        origin.close();
    }

    private static String target(String name, String extra) {
        return "/cached/" + name + "?cc=max-age%3D600&n=" + SIZE + "&etag=" + URLEncoder.encode("\"v1\"", StandardCharsets.UTF_8)
                + "&lm=" + URLEncoder.encode(LAST_MODIFIED, StandardCharsets.UTF_8) + extra;
    }

    private HttpRequest request(String target, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target))
                .timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    private HttpResponse<byte[]> get(String target, String... headers) throws Exception {
        return NET.client().send(request(target, headers), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] origin(long first, long last) {
        byte[] bytes = new byte[(int) (last - first + 1)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ((first + i) % 251);
        }
        return bytes;
    }

    private static void assertPartial(HttpResponse<byte[]> response, long first, long last) {
        assertEquals(206, response.statusCode(), "status for " + first + "-" + last);
        assertEquals("bytes " + first + "-" + last + "/" + SIZE, response.headers().firstValue("content-range").orElse(""));
        assertEquals(Long.toString(last - first + 1), response.headers().firstValue("content-length").orElse(""));
        assertArrayEquals(origin(first, last), response.body(), "bytes " + first + "-" + last);
    }

    private static String cacheStatus(HttpResponse<?> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    @Test
    void randomRanges_overACachedObject_areTheOriginsBytes() throws Exception {
        String target = target("random", "");
        HttpResponse<byte[]> full = get(target);
        assertEquals(200, full.statusCode());
        assertEquals("bytes", full.headers().firstValue("accept-ranges").orElse(""));
        Random random = new Random(20261122);
        for (int i = 0; i < 40; i++) {
            long a = random.nextInt(SIZE);
            long b = a + random.nextInt(Math.min(SIZE - (int) a, 300_000));
            HttpResponse<byte[]> part = get(target, "Range", "bytes=" + a + "-" + b);
            assertPartial(part, a, b);
            assertEquals("gz-unicom; hit", cacheStatus(part));
        }
        assertPartial(get(target, "Range", "bytes=0-0"), 0, 0);
        assertPartial(get(target, "Range", "bytes=" + (SIZE - 1) + "-" + (SIZE - 1)), SIZE - 1, SIZE - 1);
        // A last-pos beyond the end is clamped to it (RFC 9110 §14.1.2).
        assertPartial(get(target, "Range", "bytes=100-" + (SIZE * 4L)), 100, SIZE - 1);
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void suffixAndOpenRanges_selectTheEnd() throws Exception {
        String target = target("suffix", "");
        get(target);
        assertPartial(get(target, "Range", "bytes=-1000"), SIZE - 1000, SIZE - 1);
        assertPartial(get(target, "Range", "bytes=-" + (SIZE * 2L)), 0, SIZE - 1);
        assertPartial(get(target, "Range", "bytes=" + (SIZE - 70_000) + "-"), SIZE - 70_000, SIZE - 1);
        assertPartial(get(target, "Range", "BYTES=5-9"), 5, 9);
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void ifRange_matchingValidator_gives206_otherwiseTheWholeBody() throws Exception {
        String target = target("ifrange", "");
        get(target);
        assertPartial(get(target, "Range", "bytes=10-19", "If-Range", "\"v1\""), 10, 19);
        assertPartial(get(target, "Range", "bytes=10-19", "If-Range", LAST_MODIFIED), 10, 19);

        for (String mismatch : List.of("\"v2\"", "W/\"v1\"", "Sun, 01 Nov 2026 10:00:01 GMT")) {
            HttpResponse<byte[]> whole = get(target, "Range", "bytes=10-19", "If-Range", mismatch);
            assertEquals(200, whole.statusCode(), mismatch);
            assertFalse(whole.headers().firstValue("content-range").isPresent(), mismatch);
            assertArrayEquals(origin(0, SIZE - 1), whole.body(), mismatch);
        }
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void unsatisfiableRange_gives416WithTheLength() throws Exception {
        String target = target("unsatisfiable", "");
        get(target);
        for (String range : List.of("bytes=" + SIZE + "-", "bytes=" + (SIZE + 5) + "-" + (SIZE + 9), "bytes=-0")) {
            HttpResponse<byte[]> response = get(target, "Range", range);
            assertEquals(416, response.statusCode(), range);
            assertEquals("bytes */" + SIZE, response.headers().firstValue("content-range").orElse(""), range);
            assertEquals(0, response.body().length, range);
        }
    }

    @Test
    void multipleOrInvalidRanges_areIgnored_wholeBodyWith200() throws Exception {
        String target = target("multi", "");
        get(target);
        for (String range : List.of("bytes=0-1,5-9", "bytes=9-5", "items=0-1", "bytes=abc")) {
            HttpResponse<byte[]> response = get(target, "Range", range);
            assertEquals(200, response.statusCode(), range);
            assertEquals(SIZE, response.body().length, range);
        }
    }

    @Test
    void rangeMiss_fetchesTheWholeObjectOnce_thenRangesAndFullGetsHit() throws Exception {
        String target = target("miss", "");
        HttpResponse<byte[]> first = get(target, "Range", "bytes=1000-1999");
        assertPartial(first, 1000, 1999);
        assertTrue(cacheStatus(first).endsWith("gz-unicom; fwd=miss; stored"), cacheStatus(first));
        assertPartial(get(target, "Range", "bytes=-10"), SIZE - 10, SIZE - 1);
        HttpResponse<byte[]> full = get(target);
        assertEquals("gz-unicom; hit", cacheStatus(full));
        assertArrayEquals(origin(0, SIZE - 1), full.body());
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void rangeRequest_joiningAFill_getsItsBytesAsTheyArrive() throws Exception {
        // The origin sends the first half, then waits: a range inside that half can only be answered while
        // the origin holds the rest if the waiter reads while the fill writes.
        String target = target("join", "&hold=1");
        CompletableFuture<HttpResponse<InputStream>> owner =
                NET.client().sendAsync(request(target), HttpResponse.BodyHandlers.ofInputStream());
        assertTrue(origin.holding.await(10, TimeUnit.SECONDS), "the fill reached the origin");
        HttpResponse<byte[]> early = NET.client().sendAsync(request(target, "Range", "bytes=100-200099"),
                HttpResponse.BodyHandlers.ofByteArray()).get(10, TimeUnit.SECONDS);
        assertPartial(early, 100, 200_099);
        assertTrue(cacheStatus(early).endsWith("gz-unicom; fwd=miss; collapsed"), cacheStatus(early));
        assertFalse(origin.holdTimedOut);

        CompletableFuture<HttpResponse<byte[]>> late = NET.client().sendAsync(request(target, "Range", "bytes=-5000"),
                HttpResponse.BodyHandlers.ofByteArray());
        Thread.sleep(200);
        assertFalse(late.isDone(), "the end of the body has not arrived yet");
        origin.holdGate.countDown();
        assertPartial(late.get(10, TimeUnit.SECONDS), SIZE - 5000, SIZE - 1);
        try (InputStream body = owner.get(10, TimeUnit.SECONDS).body()) {
            assertTrue(Arrays.equals(origin(0, SIZE - 1), body.readAllBytes()));
        }
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void rangeMiss_ofAnObjectTooLargeToCache_isForwardedWithItsRange() throws Exception {
        edge.close();
        edge = startEdge(CacheConfig.memoryOnly().withL1(1 << 20, 512 << 10));
        String target = target("large", "&ranges=1"); // 8 MiB > l1MaxObjectBytes
        HttpResponse<byte[]> part = get(target, "Range", "bytes=3000000-3000999");
        assertPartial(part, 3_000_000, 3_000_999);
        assertTrue(cacheStatus(part).endsWith("gz-unicom; fwd=miss"), cacheStatus(part));
        // The fill learnt the size from the head and gave up; the range went to the origin as sent.
        assertEquals(2, origin.fetchCount(target));
    }

    @Test
    void rangeFromDisk_afterRestart_isServedFromL2() throws Exception {
        edge.close();
        edge = startEdge(CacheConfig.withDisk(dir));
        String target = target("disk", "");
        assertEquals(200, get(target).statusCode());
        int port = edge.httpAddress().getPort();
        edge.close(); // finishes the disk write
        edge = startEdge(CacheConfig.withDisk(dir), port);
        HttpResponse<byte[]> part = get(target, "Range", "bytes=4000000-4099999");
        assertPartial(part, 4_000_000, 4_099_999);
        assertEquals("gz-unicom; hit", cacheStatus(part));
        assertEquals(1, origin.fetchCount(target));
    }
}
