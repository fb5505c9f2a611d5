package yunjing.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.H2cClient;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache of one node in front of a test origin that counts its fetches (RFC 9111, RFC 9211). */
@ExtendWith(LeakCheck.class)
class ProxyCacheTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("cache-test");


    private TestOrigin origin;
    private ProxyServer edge;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
        edge = startEdge(CacheConfig.memoryOnly());
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

    private static String target(String name, String query) {
        return "/cached/" + name + "?" + query;
    }

    private static String cc(String value) {
        return "cc=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private HttpResponse<String> get(String target, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return NET.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cacheStatus(HttpResponse<?> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    private double counted(String result) {
        var counter = NET.metrics().find("yunjing.proxy.cache.requests").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void secondGet_isAHitWithAgeAndCacheStatus_andOneFetch() throws Exception {
        String target = target("hit", cc("max-age=60"));
        HttpResponse<String> first = get(target);
        HttpResponse<String> second = get(target);

        assertEquals(200, second.statusCode());
        assertEquals(first.body(), second.body());
        assertEquals("body:" + target, second.body());
        assertEquals(1, origin.fetchCount(target));
        assertTrue(cacheStatus(first).endsWith("gz-unicom; fwd=miss; stored"), cacheStatus(first));
        assertEquals("gz-unicom; hit", cacheStatus(second));
        assertTrue(second.headers().firstValue("age").isPresent(), "Age on a hit");
        assertEquals(1.0, counted("hit"));
        assertEquals(1.0, counted("miss"));
    }

    @Test
    void hit_ageIncludesTheAgeTheParentReported() throws Exception {
        // RFC 9111 §4.2.3: corrected_age_value = age_value + response_delay, so Age never goes down.
        String target = target("age", cc("max-age=600") + "&age=300");
        get(target);
        HttpResponse<String> hit = get(target);
        assertEquals("gz-unicom; hit", cacheStatus(hit));
        long age = Long.parseLong(hit.headers().firstValue("age").orElseThrow());
        assertTrue(age >= 300 && age < 310, "Age " + age);
    }

    @Test
    void expiredEntry_isFetchedAgain() throws Exception {
        String target = target("expires", cc("max-age=0") + "&lm=" + URLEncoder.encode("Mon, 01 Jan 2024 00:00:00 GMT", StandardCharsets.UTF_8));
        get(target);
        HttpResponse<String> again = get(target);
        assertEquals(2, origin.fetchCount(target));
        assertTrue(cacheStatus(again).endsWith("gz-unicom; fwd=stale; fwd-status=200; stored"), cacheStatus(again));
    }

    @Test
    void noStoreAndPrivate_areNotShared() throws Exception {
        for (String directive : List.of("no-store", "private, max-age=60")) {
            String target = target("unshared", cc(directive));
            HttpResponse<String> first = get(target);
            HttpResponse<String> second = get(target);
            assertEquals(2, origin.fetchCount(target), directive);
            assertEquals(200, second.statusCode());
            assertEquals(first.body(), second.body());
            assertTrue(cacheStatus(second).endsWith("gz-unicom; fwd=miss"), cacheStatus(second));
        }
    }

    @Test
    void authorizedRequest_isNotShared_unlessTheResponseIsPublic() throws Exception {
        String privateTarget = target("auth", cc("max-age=60"));
        get(privateTarget, "Authorization", "Bearer a");
        get(privateTarget, "Authorization", "Bearer b");
        get(privateTarget);
        assertEquals(3, origin.fetchCount(privateTarget));

        String publicTarget = target("auth-public", cc("public, max-age=60"));
        get(publicTarget, "Authorization", "Bearer a");
        HttpResponse<String> other = get(publicTarget, "Authorization", "Bearer b");
        assertEquals(1, origin.fetchCount(publicTarget));
        assertEquals("gz-unicom; hit", cacheStatus(other));
    }

    @Test
    void vary_splitsEntriesByTheNamedRequestField() throws Exception {
        String target = target("vary", cc("max-age=60") + "&vary=Accept-Language&echo=Accept-Language");
        assertEquals("en", get(target, "Accept-Language", "en").body());
        assertEquals("de", get(target, "Accept-Language", "de").body());
        HttpResponse<String> en = get(target, "Accept-Language", "en");
        HttpResponse<String> de = get(target, "Accept-Language", "de");
        assertEquals("en", en.body());
        assertEquals("de", de.body());
        assertEquals("gz-unicom; hit", cacheStatus(en));
        assertEquals("gz-unicom; hit", cacheStatus(de));
        assertEquals(2, origin.fetchCount(target));
    }

    @Test
    void staleEntryWithETag_isRevalidatedWith304_andServedWhole() throws Exception {
        String target = target("etag", cc("max-age=0") + "&etag=" + URLEncoder.encode("\"v1\"", StandardCharsets.UTF_8));
        HttpResponse<String> first = get(target);
        HttpResponse<String> second = get(target);

        assertEquals(2, origin.fetchCount(target));
        assertEquals(1, origin.notModified.get(), "the second request went upstream conditional");
        assertEquals(200, second.statusCode());
        assertEquals(first.body(), second.body());
        assertTrue(cacheStatus(second).endsWith("gz-unicom; fwd=stale; fwd-status=304"), cacheStatus(second));
        assertEquals(1.0, counted("revalidated"));
    }

    @Test
    void staleWhileRevalidate_servesStaleAtOnce_andRefreshesInTheBackground() throws Exception {
        String target = target("swr", cc("max-age=0, stale-while-revalidate=60")
                + "&lm=" + URLEncoder.encode("Mon, 01 Jan 2024 00:00:00 GMT", StandardCharsets.UTF_8));
        HttpResponse<String> first = get(target);
        HttpResponse<String> stale = get(target);
        assertEquals(first.body(), stale.body());
        assertEquals("gz-unicom; fwd=stale; detail=stale-while-revalidate", cacheStatus(stale));
        Nodes.await("the background refresh", () -> origin.fetchCount(target) == 2);
    }

    @Test
    void clientsOwnConditional_isAnswered304FromTheCache() throws Exception {
        String target = target("cond", cc("max-age=60") + "&etag=" + URLEncoder.encode("\"v7\"", StandardCharsets.UTF_8));
        get(target);
        HttpResponse<String> conditional = get(target, "If-None-Match", "\"v7\"");
        assertEquals(304, conditional.statusCode());
        assertEquals("", conditional.body());
        assertEquals(1, origin.fetchCount(target));
        assertEquals(0, origin.notModified.get());
    }

    @Test
    void staleIfError_servesTheStaleEntryWhenEveryParentFails() throws Exception {
        String target = target("sie", cc("max-age=0") + "&lm=" + URLEncoder.encode("Mon, 01 Jan 2024 00:00:00 GMT", StandardCharsets.UTF_8));
        HttpResponse<String> first = get(target);
        origin.close();

        HttpResponse<String> stale = get(target);
        assertEquals(200, stale.statusCode());
        assertEquals(first.body(), stale.body());
        assertEquals("gz-unicom; fwd=stale; detail=stale-if-error", cacheStatus(stale));
    }

    @Test
    void staleIfError_notForMustRevalidate() throws Exception {
        String target = target("sie-mr", cc("max-age=0, must-revalidate") + "&lm=" + URLEncoder.encode("Mon, 01 Jan 2024 00:00:00 GMT", StandardCharsets.UTF_8));
        get(target);
        origin.close();
        assertEquals(502, get(target).statusCode());
    }

    @Test
    void onlyIfCached_withoutAnEntry_is504() throws Exception {
        HttpResponse<String> response = get(target("oic", cc("max-age=60")), "Cache-Control", "only-if-cached");
        assertEquals(504, response.statusCode());
        assertEquals(0, origin.fetchCount(target("oic", cc("max-age=60"))));
    }

    @Test
    void requestNoCache_goesUpstreamEvenWhenFresh() throws Exception {
        String target = target("reload", cc("max-age=60"));
        get(target);
        HttpResponse<String> reload = get(target, "Cache-Control", "no-cache");
        assertEquals(2, origin.fetchCount(target));
        assertTrue(cacheStatus(reload).endsWith("gz-unicom; fwd=request; fwd-status=200; stored"), cacheStatus(reload));
    }

    @Test
    void notFound_isCachedForTheNegativeTtl() throws Exception {
        String target = target("missing", "status=404");
        assertEquals(404, get(target).statusCode());
        HttpResponse<String> again = get(target);
        assertEquals(404, again.statusCode());
        assertEquals("gz-unicom; hit", cacheStatus(again));
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void notFound_withZeroNegativeTtl_isNotCached() throws Exception {
        edge.close();
        edge = startEdge(CacheConfig.memoryOnly().withNegativeTtl(Duration.ZERO));
        String target = target("missing0", "status=404");
        get(target);
        get(target);
        assertEquals(2, origin.fetchCount(target));
    }

    @Test
    void post_isNeverCached() throws Exception {
        String target = target("post", cc("public, max-age=60"));
        URI uri = URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = NET.client().send(HttpRequest.newBuilder(uri)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals("gz-unicom; fwd=bypass", cacheStatus(response));
        }
        assertEquals(2, origin.fetchCount(target));
        HttpResponse<String> get = get(target);
        assertTrue(cacheStatus(get).endsWith("gz-unicom; fwd=miss; stored"), "a POST stored nothing: " + cacheStatus(get));
    }

    @Test
    void head_isServedFromAStoredGet() throws Exception {
        String target = target("head", cc("max-age=60") + "&n=1000");
        get(target);
        HttpResponse<Void> head = NET.client().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
        assertEquals("1000", head.headers().firstValue("content-length").orElseThrow());
        assertEquals("gz-unicom; hit", cacheStatus(head));
        assertEquals(1, origin.fetchCount(target));
    }

    private HttpResponse<byte[]> head(String target, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target))
                .method("HEAD", HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return NET.client().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void headMiss_fillsTheCacheWithAGet_andAnswersTheHeadAlone() throws Exception {
        String target = target("head-miss", cc("max-age=60") + "&n=1000");
        HttpResponse<byte[]> head = head(target);
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals("1000", head.headers().firstValue("content-length").orElseThrow());
        assertTrue(cacheStatus(head).endsWith("gz-unicom; fwd=miss; stored"), cacheStatus(head));
        assertEquals(List.of("GET " + target), origin.cachedRequests.stream().filter(r -> r.endsWith(target)).toList(),
                "the HEAD went upstream as a GET");
        assertEquals("gz-unicom; hit", cacheStatus(head(target)));
        HttpResponse<byte[]> get = NET.client().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(expected(1000), get.body());
        assertEquals("gz-unicom; hit", cacheStatus(get));
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void headOfAStaleEntry_revalidates_andANonStorableAnswerIsFetchedAgainWithTheHead() throws Exception {
        String target = target("head-stale", cc("max-age=0") + "&etag=%22h1%22&n=100");
        get(target);
        HttpResponse<byte[]> head = head(target);
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals(1, origin.notModified.get(), "revalidated with If-None-Match: a 304");

        String noStore = target("head-nostore", cc("no-store") + "&n=100");
        HttpResponse<byte[]> uncached = head(noStore);
        assertEquals(200, uncached.statusCode());
        assertEquals(0, uncached.body().length);
        assertEquals(List.of("GET " + noStore, "HEAD " + noStore),
                origin.cachedRequests.stream().filter(r -> r.endsWith(noStore)).toList(),
                "the GET's answer could not be stored: the client's own HEAD went upstream");
    }

    @Test
    void objectLargerThanTheInMemoryLimit_streamsThroughUncached() throws Exception {
        edge.close();
        edge = startEdge(CacheConfig.memoryOnly().withL1(4 << 20, 1 << 20));
        String target = target("large", cc("max-age=60") + "&n=" + (2 << 20));
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> response = NET.client().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(expected(2 << 20), response.body());
            assertTrue(cacheStatus(response).endsWith("gz-unicom; fwd=miss"), cacheStatus(response));
        }
        assertEquals(2, origin.fetchCount(target));
    }

    @Test
    void l1_staysWithinItsByteBound_byEvicting() throws Exception {
        edge.close();
        edge = startEdge(CacheConfig.memoryOnly().withL1(3 << 20, 1 << 20));
        for (int i = 0; i < 6; i++) {
            get(target("evict" + i, cc("max-age=60") + "&n=" + (1 << 19)));
        }
        double stored = NET.metrics().find("yunjing.proxy.cache.stored.bytes").gauge().value();
        assertTrue(stored <= 3 << 20, "stored " + stored);
        assertTrue(NET.metrics().find("yunjing.proxy.cache.evictions").counter().count() >= 1);
    }

    @Test
    void concurrentColdGets_makeOneFetch_andWaitersStreamBeforeTheFillEnds() throws Exception {
        int clients = 50;
        int size = 4 << 20;
        // The origin sends half the body, then waits for the test: bodies can only start arriving at the
        // clients before the fill is complete if waiters read while the fill writes.
        String target = target("collapse", cc("max-age=60") + "&n=" + size + "&hold=1");
        URI uri = URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + target);
        List<CompletableFuture<HttpResponse<InputStream>>> responses = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            responses.add(NET.client().sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofInputStream()));
        }
        assertTrue(origin.holding.await(10, TimeUnit.SECONDS), "the fill reached the origin");
        List<InputStream> bodies = new ArrayList<>();
        try {
            List<byte[]> firstBytes = new ArrayList<>();
            for (var future : responses) {
                HttpResponse<InputStream> response = future.get(10, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode());
                InputStream body = response.body();
                byte[] first = body.readNBytes(1024);   // arrives while the origin still holds the rest
                firstBytes.add(first);
                bodies.add(body);
            }
            assertEquals(1, origin.fetchCount(target), "one upstream fetch while the fill is held");
            assertFalse(origin.holdTimedOut, "every client got its first bytes while the origin held the rest");
            origin.holdGate.countDown();
            byte[] expected = expected(size);
            for (int i = 0; i < clients; i++) {
                byte[] rest = bodies.get(i).readAllBytes();
                byte[] whole = new byte[firstBytes.get(i).length + rest.length];
                System.arraycopy(firstBytes.get(i), 0, whole, 0, firstBytes.get(i).length);
                System.arraycopy(rest, 0, whole, firstBytes.get(i).length, rest.length);
                assertTrue(Arrays.equals(expected, whole), "body " + i + " is byte-identical to the origin's");
            }
        } finally {
            for (InputStream body : bodies) {
                body.close();
            }
        }
        assertEquals(1, origin.fetchCount(target));
        assertEquals(clients - 1.0, counted("collapsed"));
        HttpResponse<String> hit = get(target);
        assertEquals("gz-unicom; hit", cacheStatus(hit));
    }

    @Test
    void h2cClients_collapseAndHit_likeHttp11Clients() throws Exception {
        String target = target("h2c", cc("max-age=60"));
        try (H2cClient h2c = new H2cClient(NET.loops(), edge.httpAddress())) {
            List<CompletableFuture<H2cClient.Response>> responses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                responses.add(h2c.send(io.netty.handler.codec.http.HttpMethod.GET, target, "api.mirror.test", null));
            }
            for (var response : responses) {
                H2cClient.Response r = response.get(10, TimeUnit.SECONDS);
                assertEquals(200, r.status());
                assertEquals("body:" + target, r.body());
            }
            H2cClient.Response hit = h2c.send(io.netty.handler.codec.http.HttpMethod.GET, target, "api.mirror.test", null)
                    .get(10, TimeUnit.SECONDS);
            assertEquals("gz-unicom; hit", String.valueOf(hit.headers().get("cache-status")));
            assertEquals("body:" + target, hit.body());
        }
        assertEquals(1, origin.fetchCount(target));
    }

    @Test
    void chain_cacheStatusListsEveryTier_originMostFirst() throws Exception {
        ProxyServer central = ProxyServer.start(Nodes.config("bj-central", "central", List.of(Nodes.origin(origin))), NET.loops(), NET.metrics());
        ProxyServer outer = ProxyServer.start(Nodes.config("sh-telecom", "edge", List.of(Nodes.parent(central, "bj-central"))), NET.loops(), NET.metrics());
        try {
            Nodes.await("central ready", central::isReady);
            Nodes.await("outer ready", outer::isReady);
            String target = target("chain", cc("max-age=60"));
            URI uri = URI.create("http://127.0.0.1:" + outer.httpAddress().getPort() + target);
            HttpResponse<String> miss = NET.client().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> hit = NET.client().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("bj-central; fwd=miss; stored, sh-telecom; fwd=miss; stored", cacheStatus(miss));
            assertEquals("bj-central; fwd=miss; stored, sh-telecom; hit", cacheStatus(hit));
            assertEquals(1, origin.fetchCount(target));
            assertFalse(hit.headers().allValues("via").isEmpty());
        } finally {
            outer.close();
            central.close();
        }
    }

    private static byte[] expected(int n) {
        byte[] body = new byte[n];
        for (int i = 0; i < n; i++) {
            body[i] = (byte) (i % 251);
        }
        return body;
    }
}
