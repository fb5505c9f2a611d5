package yunjing.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node's meters as a scrape sees them (issue 3 point 8): requests by status and by cache result,
 * bytes served by tier, upstream latency histograms per parent, fills and evictions, circuit and health
 * gauges — each read from the registry after traffic that must have moved it.
 */
@ExtendWith(LeakCheck.class)
class ProxyMetricsTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("metrics-test");

    @TempDir
    Path dir;

    @Test
    void trafficMovesEveryMeter() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        ProxyServer edge = Nodes.startEdge(origin, CacheConfig.withDisk(dir), 0, NET.loops(), NET.metrics());
        int port = edge.httpAddress().getPort();
        try {
            String fresh = "/cached/m?" + cc("max-age=60") + "&n=1000";
            assertEquals(200, get(port, fresh).statusCode());                     // miss, stored
            assertEquals("gz-unicom; hit", cacheStatus(get(port, fresh)));         // hit from L1
            String etag = "/cached/r?" + cc("max-age=0") + "&etag=" + URLEncoder.encode("\"v1\"", StandardCharsets.UTF_8);
            get(port, etag);
            assertTrue(cacheStatus(get(port, etag)).endsWith("fwd=stale; fwd-status=304"));   // revalidated
            String swr = "/cached/s?" + cc("max-age=0, stale-while-revalidate=60")
                    + "&lm=" + URLEncoder.encode("Mon, 01 Jan 2024 00:00:00 GMT", StandardCharsets.UTF_8);
            get(port, swr);
            assertTrue(cacheStatus(get(port, swr)).contains("stale-while-revalidate"));         // stale
            Nodes.await("the background refresh", () -> origin.fetchCount(swr) == 2);
            collapse(port, origin);
            assertEquals(404, get(port, "/cached/nf?status=404").statusCode());
        } finally {
            edge.close();
        }

        assertEquals(1.0, count("yunjing.proxy.cache.requests", "result", "hit"));
        assertTrue(count("yunjing.proxy.cache.requests", "result", "miss") >= 4);
        assertEquals(1.0, count("yunjing.proxy.cache.requests", "result", "revalidated"));
        assertTrue(count("yunjing.proxy.cache.requests", "result", "stale") >= 2, "revalidated counts as stale too");
        assertEquals(1.0, count("yunjing.proxy.cache.requests", "result", "collapsed"));
        assertEquals(8.0, count("yunjing.proxy.requests", "status", "2xx"));
        assertEquals(1.0, count("yunjing.proxy.requests", "status", "4xx"));
        assertTrue(count("yunjing.proxy.cache.served.bytes", "tier", "l1") >= 1000);

        // Upstream latency per parent, with histogram buckets for histogram_quantile.
        Timer firstByte = NET.metrics().find("yunjing.proxy.upstream.first.byte").tag("parent", "origin").timer();
        Timer duration = NET.metrics().find("yunjing.proxy.upstream.duration").tag("parent", "origin").timer();
        assertNotNull(firstByte);
        assertNotNull(duration);
        long upstreamFetches = origin.fetches.values().stream().mapToLong(n -> n.get()).sum();
        // The background refresh is recorded when its response reaches the edge, just after the origin counted it.
        Nodes.await("one sample per response from the parent",
                () -> firstByte.count() == upstreamFetches && duration.count() == upstreamFetches);
        HistogramSnapshot histogram = firstByte.takeSnapshot();
        assertEquals(ProxyMetrics.UPSTREAM_BUCKETS.length, histogram.histogramCounts().length, "histogram buckets");
        assertEquals(upstreamFetches, histogram.histogramCounts()[histogram.histogramCounts().length - 1].count(),
                "every sample is within the last bucket (10 min)");
        assertTrue(duration.totalTime(TimeUnit.NANOSECONDS) >= firstByte.totalTime(TimeUnit.NANOSECONDS));

        // Fills: the miss, the collapsed object, the revalidated entry's first fetch, swr's first fetch, the 404.
        Counter fills = NET.metrics().find("yunjing.proxy.cache.fills").counter();
        assertNotNull(fills);
        assertEquals(5.0, fills.count());
        assertTrue(NET.metrics().find("yunjing.proxy.cache.fill.bytes").counter().count() >= 1000 + (1 << 20));

        // L2: the restarted node serves from disk.
        ProxyServer restarted = Nodes.startEdge(origin, CacheConfig.withDisk(dir), port, NET.loops(), NET.metrics());
        try {
            HttpResponse<String> fromDisk = get(port, "/cached/m?" + cc("max-age=60") + "&n=1000");
            assertEquals("gz-unicom; hit", cacheStatus(fromDisk));
            assertEquals(1000.0, count("yunjing.proxy.cache.served.bytes", "tier", "l2"));
            Gauge circuit = NET.metrics().find("yunjing.proxy.parent.circuit").tag("parent", "origin").gauge();
            assertEquals(0.0, circuit.value(), "closed");
            assertEquals(1.0, NET.metrics().find("yunjing.proxy.parent.healthy").tag("parent", "origin").gauge().value());
        } finally {
            restarted.close();
        }
    }

    @Test
    void evictions_areCountedByTier() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        ProxyServer edge = NET.add(Nodes.startEdge(origin, CacheConfig.memoryOnly().withL1(1 << 20, 1 << 19),
                0, NET.loops(), NET.metrics()));
        for (int i = 0; i < 4; i++) {
            get(edge.httpAddress().getPort(), "/cached/e" + i + "?" + cc("max-age=60") + "&n=" + (1 << 18) * 3 / 2);
        }
        assertTrue(count("yunjing.proxy.cache.evictions", "tier", "l1") >= 1);
    }

    /** Two clients of one held fill: the second joins it (collapsed). */
    private static void collapse(int port, TestOrigin origin) throws Exception {
        String target = "/cached/c?" + cc("max-age=60") + "&n=" + (1 << 20) + "&hold=1";
        CompletableFuture<HttpResponse<byte[]>> first = NET.client().sendAsync(request(port, target),
                HttpResponse.BodyHandlers.ofByteArray());
        assertTrue(origin.holding.await(10, TimeUnit.SECONDS));
        CompletableFuture<HttpResponse<byte[]>> second = NET.client().sendAsync(request(port, target),
                HttpResponse.BodyHandlers.ofByteArray());
        Nodes.await("the second client joined", () -> count("yunjing.proxy.cache.requests", "result", "collapsed") == 1);
        origin.holdGate.countDown();
        assertEquals(1 << 20, first.get(10, TimeUnit.SECONDS).body().length);
        assertEquals(1 << 20, second.get(10, TimeUnit.SECONDS).body().length);
        assertEquals(1, origin.fetchCount(target));
    }

    private static double count(String name, String tag, String value) {
        return NET.count(name, tag, value);
    }

    private static String cc(String value) {
        return "cc=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static HttpRequest request(int port, String target) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).timeout(Duration.ofSeconds(10)).build();
    }

    private static HttpResponse<String> get(int port, String target) throws Exception {
        return NET.client().send(request(port, target), HttpResponse.BodyHandlers.ofString());
    }

    private static String cacheStatus(HttpResponse<?> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }
}
