package yunjing.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large objects (over {@code l1MaxObjectBytes}) stored as slices fetched with Range: random ranges over
 * uncached and cached objects, upstream cost of a partial read, resumed downloads, collapsing of many
 * cold readers, digests. Sizes are CI-sized; {@code -Dyunjing.test.large.bytes=1073741824} and
 * {@code -Dyunjing.test.collapse.clients=200} run the full sizes.
 */
@ExtendWith(LeakCheck.class)
class ProxyLargeObjectTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("large-test");

    private static final long SIZE = Long.getLong("yunjing.test.large.bytes", 256L << 20);
    private static final int COLLAPSE_CLIENTS = Integer.getInteger("yunjing.test.collapse.clients", 200);
    private static final long SLICE = CacheConfig.DEFAULT_SLICE_BYTES;
    /** What an aborted whole response may have put on the wire before the abort reached the origin. */
    private static final long ABORT_SLACK = 16L << 20;

    private TestOrigin origin;
    private ProxyServer edge;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
        edge = Nodes.startEdge(origin, CacheConfig.withDisk(dir).withL1(64L << 20, 16L << 20), 0, NET.loops(), NET.metrics());
    }

    @AfterEach
    void stop() {
        edge.close();
        origin.close();
    }

    private HttpRequest request(String target, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target))
                .timeout(Duration.ofSeconds(60));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    private HttpResponse<byte[]> get(String target, String... headers) throws Exception {
        return NET.client().send(request(target, headers), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertRange(HttpResponse<byte[]> response, long first, long last, long size) {
        assertEquals(206, response.statusCode(), "status for " + first + "-" + last);
        assertEquals("bytes " + first + "-" + last + "/" + size, response.headers().firstValue("content-range").orElse(""));
        assertArrayEquals(TestOrigin.largeBytes(first, (int) (last - first + 1)), response.body(), "bytes " + first + "-" + last);
    }

    private static String sha256Of(long first, long length) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long at = first; at < first + length; at += 1 << 20) {
            sha.update(TestOrigin.largeBytes(at, (int) Math.min(1 << 20, first + length - at)));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Reads a streamed body, hashing it; returns the hex SHA-256 and stops after {@code limit} bytes. */
    private static String readHashing(InputStream in, long limit) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        try (in) {
            for (int n; total < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total))) > 0; ) {
                sha.update(buffer, 0, n);
                total += n;
            }
        }
        return total + ":" + HexFormat.of().formatHex(sha.digest());
    }

    /** The origin's byte count once fills still running (read-ahead, an aborted response) have finished. */
    private long settledBytesSent() throws InterruptedException {
        long before;
        long after = origin.largeBytesSent.get();
        do {
            before = after;
            Thread.sleep(300);
            after = origin.largeBytesSent.get();
        } while (after != before);
        return after;
    }

    /** L2 writes skipped because the disk lagged behind (its queue of writes is bounded). */
    private static long skippedDiskWrites() {
        return (long) NET.count("yunjing.proxy.cache.requests", "result", "l2-write-skipped");
    }

    private long sliceRequests(String name) {
        return origin.largeRequests.stream().filter(r -> r.startsWith("/large/" + name + "?") && !r.endsWith(" null")).count();
    }

    @Test
    void randomRanges_overAnUncachedThenCachedObject_areTheOriginsBytes() throws Exception {
        String target = "/large/random?n=" + SIZE;
        Random random = new Random(20261122);
        List<long[]> ranges = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            long a = (long) (random.nextDouble() * SIZE);
            long b = Math.min(SIZE - 1, a + random.nextInt(3 << 20));
            ranges.add(new long[] {a, b});
        }
        ranges.add(new long[] {0, 0});
        ranges.add(new long[] {SIZE - 1, SIZE - 1});
        ranges.add(new long[] {SLICE - 1, SLICE}); // across a slice boundary
        for (long[] r : ranges) {
            HttpResponse<byte[]> part = get(target, "Range", "bytes=" + r[0] + "-" + r[1]);
            assertRange(part, r[0], r[1], SIZE);
        }
        long sent = settledBytesSent();
        // Each range costs its slices (at most two each here, 8 MiB), plus one aborted whole response.
        assertTrue(sent <= ranges.size() * 2 * SLICE + ABORT_SLACK, "origin sent " + sent);
        for (long[] r : ranges) {
            HttpResponse<byte[]> part = get(target, "Range", "bytes=" + r[0] + "-" + r[1]);
            assertRange(part, r[0], r[1], SIZE);
            assertEquals("gz-unicom; hit", part.headers().firstValue("cache-status").orElse(""));
        }
        // From L1 and L2; a slice whose L2 write was skipped (the disk lagging behind: the queue of writes is
        // bounded) may have left L1 too and is fetched again, nothing else.
        assertTrue(settledBytesSent() - sent <= skippedDiskWrites() * SLICE,
                "the second pass came from L1 and L2: " + (settledBytesSent() - sent) + " bytes fetched again");
        HttpResponse<byte[]> suffix = get(target, "Range", "bytes=-1000");
        assertRange(suffix, SIZE - 1000, SIZE - 1, SIZE);
        HttpResponse<Void> head = NET.client().send(HttpRequest.newBuilder(request(target).uri()).method("HEAD",
                HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(Long.toString(SIZE), head.headers().firstValue("content-length").orElse(""));
        assertEquals("bytes", head.headers().firstValue("accept-ranges").orElse(""));
    }

    @Test
    void readingPartOfAHugeObject_costsAboutThatPartUpstream() throws Exception {
        String target = "/large/part?n=" + SIZE;
        long first = SIZE / 2 + 12345;
        long length = 32L << 20;
        HttpResponse<InputStream> response = NET.client().send(request(target, "Range",
                "bytes=" + first + "-" + (first + length - 1)), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(206, response.statusCode());
        assertEquals(length + ":" + sha256Of(first, length), readHashing(response.body(), Long.MAX_VALUE));
        long sent = settledBytesSent();
        assertTrue(sent <= length + 2 * SLICE + ABORT_SLACK, "origin sent " + sent + " for " + length);
    }

    @Test
    void resumedDownload_reusesTheSlicesAlreadyStored() throws Exception {
        String target = "/large/resume?n=" + SIZE;
        long half = SIZE / 2 + 777;
        HttpResponse<InputStream> first = NET.client().send(request(target), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, first.statusCode());
        assertEquals(half + ":" + sha256Of(0, half), readHashing(first.body(), half)); // the client stops here
        HttpResponse<InputStream> rest = NET.client().send(request(target, "Range", "bytes=" + half + "-"),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(206, rest.statusCode());
        assertEquals((SIZE - half) + ":" + sha256Of(half, SIZE - half), readHashing(rest.body(), Long.MAX_VALUE));
        long sent = settledBytesSent();
        // The whole object once, plus the slice the first reader had asked ahead, plus one aborted response.
        assertTrue(sent <= SIZE + 2 * SLICE + ABORT_SLACK, "origin sent " + sent + " for " + SIZE + origin.largeRequests);
        long slices = (SIZE + SLICE - 1) / SLICE;
        long again = sliceRequests("resume") - slices;
        assertTrue(again >= 0 && again <= skippedDiskWrites(), "each slice fetched once, unless its L2 write was"
                + " skipped (" + skippedDiskWrites() + "): " + origin.largeRequests);
    }

    @Test
    void concurrentColdReaders_collapseIntoOneTransfer_andGetIdenticalBodies() throws Exception {
        long size = 64L << 20;
        String target = "/large/collapse?n=" + size;
        String expected = size + ":" + sha256Of(0, size);
        List<CompletableFuture<String>> bodies = new ArrayList<>();
        for (int i = 0; i < COLLAPSE_CLIENTS; i++) {
            bodies.add(NET.client().sendAsync(request(target), HttpResponse.BodyHandlers.ofInputStream())
                    .thenApplyAsync(response -> {
                        try {
                            return readHashing(response.body(), Long.MAX_VALUE);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }));
        }
        for (CompletableFuture<String> body : bodies) {
            assertEquals(expected, body.get());
        }
        assertEquals(size / SLICE, sliceRequests("collapse"), "each slice fetched once: " + origin.largeRequests);
        long sent = settledBytesSent();
        assertTrue(sent <= size + ABORT_SLACK, "origin sent " + sent + " for " + COLLAPSE_CLIENTS + " readers of " + size);
    }

    @Test
    void twoUrlsNamingOneDigest_shareTheSlices_andPurgeByDigestDropsThem() throws Exception {
        long size = 40L << 20;
        String sha = sha256Of(0, size);
        String main = "/large/by-branch?n=" + size + "&sha256=" + sha;
        String commit = "/large/by-commit?n=" + size + "&sha256=" + sha;
        HttpResponse<InputStream> first = NET.client().send(request(main), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(size + ":" + sha, readHashing(first.body(), Long.MAX_VALUE));
        HttpResponse<InputStream> second = NET.client().send(request(commit), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(size + ":" + sha, readHashing(second.body(), Long.MAX_VALUE));
        assertEquals(0, sliceRequests("by-commit"), "the second URL's slices were the first's: " + origin.largeRequests);

        assertTrue(edge.purgeDigest(sha) >= size / SLICE, "the slices and both heads are removed");
        HttpResponse<InputStream> again = NET.client().send(request(commit), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(size + ":" + sha, readHashing(again.body(), Long.MAX_VALUE));
        assertEquals(size / SLICE, sliceRequests("by-commit"));
        assertThrows(IllegalArgumentException.class, () -> edge.purgeDigest("not-a-digest"));
    }

    @Test
    void wholeBodyNamingAWrongDigest_isCutOffAndNeverStored() throws Exception {
        long size = 4L << 20;
        String sha = sha256Of(0, size);
        String target = "/large/corrupt?n=" + size + "&sha256=" + sha + "&flip=1000";
        for (int attempt = 0; attempt < 2; attempt++) {
            HttpResponse<InputStream> response = NET.client().send(request(target), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertThrows(IOException.class, () -> readHashing(response.body(), Long.MAX_VALUE),
                    "the client never receives the whole of a body that fails its digest");
        }
        assertEquals(2, origin.largeRequests.stream().filter(r -> r.startsWith("/large/corrupt")).count(), "not stored");
        assertEquals(2.0, NET.count("yunjing.proxy.cache.requests", "result", "digest-mismatch"));

        String good = "/large/good?n=" + size + "&sha256=" + sha;
        assertEquals(size + ":" + sha, readHashing(NET.client().send(request(good), HttpResponse.BodyHandlers.ofInputStream()).body(), Long.MAX_VALUE));
        HttpResponse<byte[]> hit = get(good);
        assertEquals("gz-unicom; hit", hit.headers().firstValue("cache-status").orElse(""));
    }

    @Test
    void largeObject_throughTwoTiersOverH2_isSlicedAtEachTier_andCrossesTheBorderOnce() throws Exception {
        long size = 40L << 20;
        ProxyServer central = NET.startReady("central", new ProxyConfig("bj-central", "central", Nodes.ephemeral(),
                null, null, null, List.of(Nodes.origin(origin)), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL,
                CacheConfig.memoryOnly()), new SimpleMeterRegistry());
        ProxyServer edgeOfCentral = NET.startWithHealthyParents(Nodes.edge(List.of(Nodes.parent(central, "bj-central")),
                ApiAccess.OPEN, UpstreamConfig.DEFAULT.withHttp2(true)));
        String target = "/large/tiers?n=" + size;
        for (int i = 0; i < 2; i++) {
            HttpResponse<InputStream> response = NET.client().send(HttpRequest.newBuilder(TestNetwork.uri(edgeOfCentral, target))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertEquals(size + ":" + sha256Of(0, size), readHashing(response.body(), Long.MAX_VALUE));
        }
        HttpResponse<byte[]> part = NET.client().send(HttpRequest.newBuilder(TestNetwork.uri(edgeOfCentral, target))
                .header("Range", "bytes=" + (size - 100) + "-").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertRange(part, size - 100, size - 1, size);
        long sent = settledBytesSent();
        assertTrue(sent <= size + ABORT_SLACK, "origin sent " + sent + " for " + size);
        assertEquals(size / SLICE, sliceRequests("tiers"), "each slice crossed to the origin once: " + origin.largeRequests);
    }

    @Test
    void slicedObjectWhoseSlicesDoNotGiveItsDigest_isCutOffBeforeItsEnd_andDropped() throws Exception {
        long size = 40L << 20;
        String sha = sha256Of(0, size);
        String target = "/large/sliced-corrupt?n=" + size + "&sha256=" + sha + "&flip=" + (size / 3);
        for (int attempt = 1; attempt <= 2; attempt++) {
            HttpResponse<InputStream> response = NET.client().send(request(target), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertThrows(IOException.class, () -> readHashing(response.body(), Long.MAX_VALUE),
                    "the client never receives the whole of an object that fails its digest");
            assertEquals(attempt, NET.count("yunjing.proxy.cache.requests", "result", "digest-mismatch"));
            assertEquals(attempt * size / SLICE, sliceRequests("sliced-corrupt"), "the bad slices were dropped: "
                    + origin.largeRequests);
        }
        // A range that does not reach the end is served from the slices (their own checks passed).
        HttpResponse<byte[]> part = get(target, "Range", "bytes=0-99");
        assertRange(part, 0, 99, size);
    }

    @Test
    void objectWithoutRangeSupport_streamsThroughUncached() throws Exception {
        long size = 20L << 20;
        String target = "/large/noranges?n=" + size + "&noranges=1";
        for (int i = 0; i < 2; i++) {
            HttpResponse<InputStream> response = NET.client().send(request(target), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(size + ":" + sha256Of(0, size), readHashing(response.body(), Long.MAX_VALUE));
        }
        assertEquals(2, origin.largeRequests.size());
    }
}
