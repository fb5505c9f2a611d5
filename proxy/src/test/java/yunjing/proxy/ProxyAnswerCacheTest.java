package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answer cache and tokens per minute through a real {@link ProxyServer} edge in front of a small origin
 * that streams in OpenAI's shape, with Netty's leak detector watching every buffer the edge rewrites.
 */
@ExtendWith(LeakCheck.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ProxyAnswerCacheTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEAD = "\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\"";
    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("answer-cache-test");

    /** The bodies the origin received, parsed. */
    private final List<JsonNode> originSaw = new CopyOnWriteArrayList<>();
    private final ExecutorService originThreads = Executors.newCachedThreadPool();
    private HttpServer origin;
    private ProxyServer edge;

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/readyz", ex -> reply(ex, "text/plain", "ok"));
        origin.createContext("/v1/chat/completions", this::chat);
        origin.start();
        InetSocketAddress addr = origin.getAddress();
        ParentConfig parent = new ParentConfig("origin", addr, URI.create("http://127.0.0.1:" + addr.getPort() + "/readyz"));
        ApiPlan cached = new ApiPlan("cached", 10, 1000, 1000, 0, 1, true);
        ApiPlan metered = new ApiPlan("metered", 10, 1000, 1000, 10, 1, false);
        ApiAccess access = new ApiAccess(Map.of("cached", cached, "metered", metered), List.of(
                new ApiKeyEntry("k-cached", "cached", ApiAccess.sha256Hex("sk-cached"), "acme"),
                new ApiKeyEntry("k-metered", "metered", ApiAccess.sha256Hex("sk-metered"))));
        edge = ProxyServer.start(new ProxyConfig("edge-1", "edge", Nodes.ephemeral(), null, null, null,
                List.of(parent), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL, CacheConfig.memoryOnly(),
                ProxyConfig.DEFAULT_CLIENT_IDLE_TIMEOUT, access), NET.loops(), NET.metrics());
        Nodes.await("edge ready", edge::isReady);
    }

    @AfterEach
    void stop() {
        if (edge != null) {
            edge.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
        originThreads.shutdownNow();
    }

    /**
     * Answers "Hello" (usage 50 tokens) as a stream or a JSON completion; {@code X-Test-Break: 1} ends a stream
     * after its first chunk without {@code [DONE]}, as an origin that fails mid-answer does.
     */
    private void chat(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
        originSaw.add(body);
        String usage = "\"usage\":{\"prompt_tokens\":45,\"completion_tokens\":5,\"total_tokens\":50}";
        if (!body.path("stream").asBoolean()) {
            reply(ex, "application/json", "{\"id\":\"chatcmpl-7\",\"object\":\"chat.completion\",\"created\":7,\"model\":\"m\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"logprobs\":null,"
                    + "\"finish_reason\":\"stop\"}]," + usage + "}");
            return;
        }
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean();
        String usageNull = includeUsage ? ",\"usage\":null" : "";
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            send(out, "{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                    + "\"logprobs\":null,\"finish_reason\":null}]" + usageNull + "}");
            if ("1".equals(ex.getRequestHeaders().getFirst("X-Test-Break"))) {
                // Unfinished: the JDK server closes the connection of an exchange whose handler throws.
                throw new IOException("breaking the stream");
            }
            for (String piece : new String[] {"Hel", "lo"}) {
                send(out, "{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + piece + "\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}]" + usageNull + "}");
            }
            send(out, "{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]"
                    + usageNull + "}");
            if (includeUsage) {
                send(out, "{" + HEAD + ",\"choices\":[]," + usage + "}");
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void send(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void reply(HttpExchange ex, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private HttpResponse<String> post(String key, boolean stream, String... headers) throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0,\"stream\":"
                + stream + "}";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.httpAddress().getPort()
                        + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return NET.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private double counter(String name, String tag, String value) {
        var c = NET.metrics().find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aStreamedAnswer_isStoredAfterDone_andReplayedAsJsonAndAsAStream() throws Exception {
        HttpResponse<String> streamed = post("sk-cached", true);
        assertEquals(200, streamed.statusCode());
        assertFalse(streamed.body().contains("usage"), "the client did not ask for usage: " + streamed.body());
        assertTrue(originSaw.get(0).at("/stream_options/include_usage").asBoolean(), "the edge asked for it");

        HttpResponse<String> whole = post("sk-cached", false);
        assertEquals("edge-1; hit", whole.headers().firstValue("cache-status").orElse(""));
        assertEquals("Hello", JSON.readTree(whole.body()).at("/choices/0/message/content").asText());
        assertEquals(50, JSON.readTree(whole.body()).at("/usage/total_tokens").asInt());

        HttpResponse<String> again = post("sk-cached", true);
        assertEquals("edge-1; hit", again.headers().firstValue("cache-status").orElse(""));
        assertTrue(again.body().contains("\"content\":\"Hello\""), again.body());
        assertTrue(again.body().endsWith("data: [DONE]\n\n"), again.body());
        assertEquals(1, originSaw.size(), "the origin answered once");
        assertEquals(2, counter("yunjing.proxy.api.answer.cache", "result", "hit"));
        assertEquals(1, counter("yunjing.proxy.api.answer.cache", "result", "stored"));
    }

    @Test
    void aStreamThatBreaksBeforeDone_isNotStored() throws Exception {
        try {
            post("sk-cached", true, "X-Test-Break", "1");
        } catch (IOException expected) {
            // the edge cuts the client's stream short too
        }
        HttpResponse<String> next = post("sk-cached", true);
        assertEquals(200, next.statusCode());
        assertFalse(next.headers().firstValue("cache-status").orElse("").contains("hit"));
        assertEquals(2, originSaw.size());
        assertEquals(0, counter("yunjing.proxy.api.answer.cache", "result", "hit"));
    }

    @Test
    void tokensPerMinute_chargeTheStreamsReportedUsage_andRefuseTheNextRequest() throws Exception {
        HttpResponse<String> streamed = post("sk-metered", true);
        assertEquals(200, streamed.statusCode());
        assertFalse(streamed.body().contains("usage"), streamed.body());
        assertTrue(streamed.body().contains("\"content\":\"lo\""), streamed.body());
        HttpResponse<String> refused = post("sk-metered", false);
        assertEquals(429, refused.statusCode());
        assertTrue(JSON.readTree(refused.body()).at("/error/message").asText().contains("10 tokens per minute"),
                refused.body());
        // 50 tokens charged against 10 a minute: 41 short of one token, refilled at 1/6 token a second.
        long retryAfter = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter > 230 && retryAfter <= 246, "Retry-After " + retryAfter);
        assertEquals(50, counter("yunjing.proxy.api.tokens", "node", "edge-1"));
        assertEquals(1, counter("yunjing.proxy.api.rejected", "reason", "tpm"));
    }
}
