package yunjing.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ProxyServer#warm}: URLs prefetched through the node's own cache. */
@ExtendWith(LeakCheck.class)
class ProxyWarmTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("warm-test");

    private static String cc(String value) {
        return "cc=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void warmedUrls_areHits_andTheOriginSawOneRequestEach() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        ProxyServer edge = NET.add(Nodes.startEdge(origin, CacheConfig.memoryOnly(), 0, NET.loops(), NET.metrics()));
        String host = "127.0.0.1:" + edge.httpAddress().getPort();
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {   // more than the concurrency, so fetches queue behind each other
            targets.add("/cached/w" + i + "?" + cc("max-age=60") + "&n=" + (1000 + i));
        }
        List<String> urls = targets.stream().map(t -> "http://" + host + t).toList();

        List<WarmResult> results = edge.warm(urls).get(30, TimeUnit.SECONDS);
        assertEquals(urls.size(), results.size());
        for (int i = 0; i < results.size(); i++) {
            WarmResult r = results.get(i);
            assertEquals(urls.get(i), r.url());
            assertEquals(200, r.status());
            assertEquals(1000 + i, r.bytes());
            assertEquals("fwd=miss; stored", r.cacheStatus());
            assertNull(r.error());
            assertTrue(r.cached());
        }
        for (String target : targets) {
            HttpResponse<String> hit = NET.client().send(HttpRequest.newBuilder(
                    URI.create("http://" + host + target)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("gz-unicom; hit", hit.headers().firstValue("cache-status").orElse(""));
            assertEquals(1, origin.fetchCount(target), target);
        }
        // Warming again costs the origin nothing.
        List<WarmResult> again = edge.warm(urls).get(30, TimeUnit.SECONDS);
        assertTrue(again.stream().allMatch(r -> "hit".equals(r.cacheStatus()) && r.cached()), again.toString());
        for (String target : targets) {
            assertEquals(1, origin.fetchCount(target), target);
        }
    }

    @Test
    void failuresAndUncacheableAnswers_areReportedPerUrl() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        ProxyServer edge = NET.add(Nodes.startEdge(origin, CacheConfig.memoryOnly(), 0, NET.loops(), NET.metrics()));
        String host = "127.0.0.1:" + edge.httpAddress().getPort();
        List<WarmResult> results = edge.warm(List.of(
                host + "/cached/ns?" + cc("no-store"),
                host + "/cached/gone?status=500",
                host + "/cached/bad%zz")).get(30, TimeUnit.SECONDS);

        WarmResult noStore = results.get(0);
        assertEquals(200, noStore.status());
        assertEquals("fwd=miss", noStore.cacheStatus());
        assertFalse(noStore.cached());
        assertEquals(500, results.get(1).status());
        assertFalse(results.get(1).cached());
        WarmResult bypass = results.get(2);
        assertEquals(0, bypass.status());
        assertTrue(bypass.error().contains("not cacheable"), bypass.error());
    }

    @Test
    void badInput_isRefused() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        ProxyServer edge = NET.add(Nodes.startEdge(origin, CacheConfig.memoryOnly(), 0, NET.loops(), NET.metrics()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edge.warm(List.of()))
                .getMessage().contains("expected: 1 to 1000"));
        assertThrows(IllegalArgumentException.class, () -> edge.warm(Collections.nCopies(1001, "a.test/x")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edge.warm(List.of("a.test/x", "/no-host")))
                .getMessage().contains("/no-host"));
        assertThrows(IllegalArgumentException.class, () -> edge.warm(List.of("a.test*/x")));
        assertThrows(IllegalArgumentException.class, () -> edge.warm(List.of("a.test/x y")));
    }
}
