package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.H2cClient;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.proxy.testing.TestNetwork.uri;

/** Parent failover, errors when no parent answers, health and readiness, and cancellation. */
@ExtendWith(LeakCheck.class)
class ProxyFailoverTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("failover-test");

    private TestOrigin origin;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = NET.add(new TestOrigin());
    }

    @Test
    void failover_firstParentHealthyButPortClosed_requestGoesToSecond() throws Exception {
        // "dead" passes its health check (its readyz is the origin's) but nothing listens on its HTTP port.
        ParentConfig dead = Nodes.parent("dead", Nodes.closedPort(), origin.readyzUrl());
        ParentConfig live = new ParentConfig("live", origin.address(), origin.readyzUrl());
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(dead, live)));
        Nodes.await("both parents healthy", () -> edge.parentHealth().equals(Map.of("dead", true, "live", true)));

        String path = Nodes.pathHomedOn(List.of(dead, live), "dead", edge, "/echo/failover");

        HttpResponse<String> response = NET.get(edge, path);

        assertEquals(200, response.statusCode());
        assertEquals(path, JSON.readTree(response.body()).get("path").asText());
        Counter failures = NET.metrics().find("yunjing.proxy.upstream.connect.failures").tags("parent", "dead").counter();
        assertTrue(failures != null && failures.count() >= 1, "connect failure to 'dead' was counted");
    }

    @Test
    void failover_postBodyIsNotLostWhenTheFirstParentRefuses() throws Exception {
        ParentConfig dead = Nodes.parent("dead", Nodes.closedPort(), origin.readyzUrl());
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(dead, Nodes.origin(origin))));
        Nodes.await("both parents healthy", () -> edge.parentHealth().values().stream().allMatch(h -> h));
        byte[] body = new byte[3 * 1024 * 1024];
        String path = Nodes.pathHomedOn(List.of(dead, Nodes.origin(origin)), "dead", edge, "/echo/post");

        HttpResponse<String> response = NET.client().send(HttpRequest.newBuilder(uri(edge, path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(body.length, JSON.readTree(response.body()).get("bodyBytes").asLong());
    }

    @Test
    void unhealthyParent_isStillTriedAsLastResort() throws Exception {
        origin.readyzStatus.set(503);
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(Nodes.origin(origin))));
        Nodes.await("a probe answered", () -> origin.readyzProbes.get() >= 1);

        assertFalse(edge.isReady());
        assertEquals(200, NET.get(edge, "/echo").statusCode());
    }

    @Test
    void allParentsDown_answers502WithOpenAiErrorJson() throws Exception {
        ParentConfig a = Nodes.parent("a", Nodes.closedPort(), URI.create("http://127.0.0.1:" + Nodes.closedPort().getPort() + "/readyz"));
        ParentConfig b = Nodes.parent("b", Nodes.closedPort(), URI.create("http://127.0.0.1:" + Nodes.closedPort().getPort() + "/readyz"));
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(a, b)));

        HttpResponse<String> response = NET.client().send(HttpRequest.newBuilder(uri(edge, "/v1/chat/completions"))
                        .header("X-Request-Id", "req-502")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"autoglm-phone-9b\"}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(502, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
        assertEquals("req-502", response.headers().firstValue("x-request-id").orElseThrow());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("upstream_error", error.get("type").asText());
        assertEquals("bad_gateway", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("a: connection refused"), error.get("message").asText());
        assertFalse(edge.isReady());
        assertEquals(502, NET.get(edge, "/again").statusCode(), "the connection stays usable after a 502");
    }

    @Test
    void connectTimeout_answers504() throws Exception {
        // A listener with a full accept queue that never accepts: further SYNs are dropped, connects time out.
        try (ServerSocket blackhole = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", blackhole.getLocalPort());
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket filler = new Socket();
                    try {
                        filler.connect(address, 200);
                        fillers.add(filler);
                    } catch (java.io.IOException full) {
                        filler.close();
                        break;
                    }
                }
                ProxyConfig config = new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(), null, null, null,
                        List.of(Nodes.parent("slow", address, origin.readyzUrl())), Duration.ofMillis(300), Nodes.HEALTH_INTERVAL);
                ProxyServer edge = NET.start(config);

                HttpResponse<String> response = NET.get(edge, "/echo");

                assertEquals(504, response.statusCode(), response.body());
                JsonNode error = JSON.readTree(response.body()).get("error");
                assertEquals("gateway_timeout", error.get("code").asText());
                assertEquals("upstream_error", error.get("type").asText());
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void readiness_flipsAfterThreeFailedReadyzProbes_andBackAfterOneSuccess() throws Exception {
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(Nodes.origin(origin))));
        Nodes.await("ready", edge::isReady);

        int probesBefore = origin.readyzProbes.get();
        origin.readyzStatus.set(503);
        Nodes.await("not ready", () -> !edge.isReady());
        assertTrue(origin.readyzProbes.get() - probesBefore >= 3, "down only after three failed probes");
        assertEquals(Map.of("origin", false), edge.parentHealth());

        origin.readyzStatus.set(200);
        Nodes.await("ready again", edge::isReady);
        assertEquals(Map.of("origin", true), edge.parentHealth());
        edge.close();
        assertFalse(edge.isReady(), "not ready once closed");
    }

    @Test
    void notReady_untilTheFirstProbeAnswers_andStartDoesNotWaitForIt() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        origin.readyzGate = gate;
        try {
            // The probe hangs until the gate opens, so a start that waited for it would never return.
            ProxyServer edge = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> NET.start(Nodes.config("gz-unicom", "edge", List.of(Nodes.origin(origin)))));
            Nodes.await("the first probe is in flight", () -> origin.readyzProbes.get() >= 1);

            assertFalse(edge.isReady());
            assertEquals(Map.of("origin", false), edge.parentHealth());
            gate.countDown();
            Nodes.await("ready once the probe answers", edge::isReady);
        } finally {
            gate.countDown();
        }
    }

    @Test
    void clientDisconnectMidStream_http11_closesTheUpstreamConnection() throws Exception {
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(Nodes.origin(origin))));
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /sse?n=100&gap=50 HTTP/1.1\r\nHost: api.mirror.test\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data: ")) {
                // status line, headers, chunk sizes
            }
            assertTrue(line != null && line.startsWith("data: "), "first event received");
        }
        // 100 events 50 ms apart take 5 s; the origin must see the cut long before.
        assertTrue(origin.sseCancelled.await(3, TimeUnit.SECONDS), "origin saw its connection close");
        assertEquals(1, origin.sseCompleted.getCount(), "the stream did not run to its end");
    }

    @Test
    void clientResetsH2Stream_closesTheUpstreamConnection() throws Exception {
        ProxyServer edge = NET.start(Nodes.config("gz-unicom", "edge", List.of(Nodes.origin(origin))));
        CompletableFuture<Void> firstEvent = new CompletableFuture<>();
        try (H2cClient h2c = new H2cClient(NET.loops(), edge.httpAddress())) {
            h2c.send(HttpMethod.GET, "/sse?n=100&gap=50", "api.mirror.test", chunk -> firstEvent.complete(null));
            firstEvent.get(5, TimeUnit.SECONDS);
            h2c.resetStreams();
            assertTrue(origin.sseCancelled.await(3, TimeUnit.SECONDS), "origin saw its connection close");
        }
        assertEquals(1, origin.sseCompleted.getCount(), "the stream did not run to its end");
    }
}
