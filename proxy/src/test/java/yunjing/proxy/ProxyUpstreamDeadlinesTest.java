package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.ChatOrigin;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream deadlines (first byte, idle, total) and the circuit breaker, through a real edge: before the
 * response started a deadline is a 504 in the OpenAI error shape, after it an SSE stream ends with an
 * error event.
 */
@ExtendWith(LeakCheck.class)
class ProxyUpstreamDeadlinesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("deadlines-test");

    private ChatOrigin origin;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = NET.add(new ChatOrigin());
    }

    @Test
    void silentParent_firstByteDeadline_gives504_andFiveOfThemOpenTheBreaker() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            ParentConfig parent = new ParentConfig("silent", silent.address(), origin.readyzUrl());
            ProxyServer edge = start(parent, UpstreamConfig.DEFAULT.withDeadlines(
                    Duration.ofMillis(300), Duration.ofSeconds(10), Duration.ofSeconds(10)));

            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = NET.get(edge, "/v1/models?i=" + i);
                assertEquals(504, response.statusCode(), response.body());
                JsonNode error = JSON.readTree(response.body()).get("error");
                assertEquals("gateway_timeout", error.get("code").asText());
                assertEquals("upstream_error", error.get("type").asText());
                assertTrue(error.get("message").asText().contains("first byte deadline of 300 ms passed"),
                        error.get("message").asText());
            }
            assertEquals(5.0, NET.count("yunjing.proxy.upstream.deadlines", "deadline", "first_byte"));
            assertEquals(2.0, NET.metrics().find("yunjing.proxy.parent.circuit").tag("parent", "silent").gauge().value(),
                    "open after five consecutive failures");
            int accepted = silent.accepted.size();

            HttpResponse<String> refused = NET.get(edge, "/v1/models?open");

            assertEquals(502, refused.statusCode());
            assertTrue(refused.body().contains("circuit breaker is open"), refused.body());
            assertEquals(accepted, silent.accepted.size(), "an open breaker sends nothing to the parent");
        }
    }

    @Test
    void streamThatGoesQuiet_idleDeadline_endsWithAnErrorEvent() throws Exception {
        ProxyServer edge = start(Nodes.origin(origin), UpstreamConfig.DEFAULT.withDeadlines(
                Duration.ofSeconds(10), Duration.ofMillis(400), Duration.ofSeconds(30)));

        HttpResponse<String> response = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> NET.get(edge, "/v1/chat/completions?n=3&gap=3000"));

        assertEquals(200, response.statusCode());
        String[] events = response.body().split("\n\n");
        assertTrue(events[0].contains("\"t0\""), response.body());
        assertTrue(events[1].startsWith("data: {\"error\":"), response.body());
        JsonNode error = JSON.readTree(events[1].substring("data: ".length())).get("error");
        assertEquals("gateway_timeout", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("idle deadline of 400 ms passed"), error.get("message").asText());
        assertEquals(2, events.length, "nothing after the error event");
        assertEquals(1.0, NET.count("yunjing.proxy.upstream.deadlines", "deadline", "idle"));
    }

    @Test
    void totalDeadline_appliesToApiRequestsOnly() throws Exception {
        ProxyServer edge = start(Nodes.origin(origin), UpstreamConfig.DEFAULT.withDeadlines(
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(800)));

        HttpResponse<String> api = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> NET.get(edge, "/v1/chat/completions?n=40&gap=100"));
        HttpResponse<String> other = NET.get(edge, "/stream?n=15&gap=100");

        assertTrue(api.body().contains("total deadline of 800 ms passed"), api.body());
        assertTrue(!api.body().contains("[DONE]"), "the API stream was cut");
        assertTrue(other.body().endsWith("data: [DONE]\n\n"), "a non-API stream of 1.5 s is not cut");
    }

    @Test
    void slowFirstByte_withinTheDeadline_isServed() throws Exception {
        ProxyServer edge = start(Nodes.origin(origin), UpstreamConfig.DEFAULT.withDeadlines(
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(30)));

        HttpResponse<String> response = NET.get(edge, "/v1/chat/completions?n=2&delay=300");

        assertEquals(200, response.statusCode());
        assertTrue(response.body().endsWith("data: [DONE]\n\n"));
    }

    private ProxyServer start(ParentConfig parent, UpstreamConfig upstream) throws Exception {
        return NET.startReady("edge", Nodes.edge(List.of(parent), ApiAccess.OPEN, upstream), NET.metrics());
    }

    /** Accepts connections and never answers (reads nothing either). */
    private static final class SilentServer implements AutoCloseable {
        final List<Socket> accepted = new CopyOnWriteArrayList<>();
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        private final Thread acceptor = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    accepted.add(server.accept());
                }
            } catch (java.io.IOException closed) {
                // stopped
            }
        });

        SilentServer() throws java.io.IOException {
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", server.getLocalPort());
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(5000);
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }
}
