package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API edge through a real {@link ProxyServer} in front of a small origin: keys, plan limits,
 * priority headers and chat completion hygiene.
 */
@ExtendWith(LeakCheck.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ProxyApiEdgeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"qwen\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("api-edge-test");

    private final List<Map<String, String>> originSaw = new CopyOnWriteArrayList<>();
    private final AtomicInteger originChats = new AtomicInteger();
    private volatile CountDownLatch releaseStreams = new CountDownLatch(1);
    private final ExecutorService originThreads = Executors.newCachedThreadPool();
    private HttpServer origin;
    private ProxyServer edge;

    private void start(ApiAccess access) throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/readyz", ex -> reply(ex, 200, "ok"));
        origin.createContext("/v1/", this::originApi);
        origin.start();
        InetSocketAddress addr = origin.getAddress();
        ParentConfig parent = new ParentConfig("origin", addr,
                URI.create("http://127.0.0.1:" + addr.getPort() + "/readyz"));
        edge = ProxyServer.start(Nodes.edge(List.of(parent), access, UpstreamConfig.DEFAULT), NET.loops(), NET.metrics());
        Nodes.await("edge ready", edge::isReady);
    }

    @AfterEach
    void stop() {
        releaseStreams.countDown();
        if (edge != null) {
            edge.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
        originThreads.shutdownNow();
    }

    /** Echo for chat completions; {@code X-Test-Hold: 1} makes it an SSE stream held open until released. */
    private void originApi(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        if (ex.getRequestURI().getPath().equals("/v1/chat/completions")) {
            originChats.incrementAndGet();
        }
        originSaw.add(Map.of(
                "priority", String.valueOf(ex.getRequestHeaders().get("X-Yunjing-Priority")),
                "keyId", String.valueOf(ex.getRequestHeaders().get("X-Yunjing-Key-Id")),
                "authorization", String.valueOf(ex.getRequestHeaders().getFirst("Authorization")),
                "bodyLength", Integer.toString(body.length)));
        if ("1".equals(ex.getRequestHeaders().getFirst("X-Test-Hold"))) {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write("data: start\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                releaseStreams.await(15, TimeUnit.SECONDS);
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException | IOException e) {
                // the proxy went away (client disconnected) or the test ended
            }
            return;
        }
        reply(ex, 200, "{\"id\":\"chatcmpl-1\",\"usage\":{\"total_tokens\":3}}");
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static ApiAccess access(ApiPlan plan, String... idAndSecret) {
        List<ApiKeyEntry> keys = new ArrayList<>();
        for (int i = 0; i < idAndSecret.length; i += 2) {
            keys.add(new ApiKeyEntry(idAndSecret[i], plan.name(), ApiAccess.sha256Hex(idAndSecret[i + 1])));
        }
        return new ApiAccess(Map.of(plan.name(), plan), keys);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + path);
    }

    private HttpRequest.Builder chat(String key, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/chat/completions")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        return key == null ? b : b.header("Authorization", "Bearer " + key);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return NET.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body()).get("error");
    }

    private double rejected(String reason) {
        var counter = NET.metrics().find("yunjing.proxy.api.rejected").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void missingOrUnknownKey_is401InOpenAiShape_withWwwAuthenticate() throws Exception {
        start(access(new ApiPlan("free", 5, 100, 100, 0, 1), "k1", "sk-good"));
        HttpResponse<String> missing = send(chat(null, CHAT));
        assertEquals(401, missing.statusCode());
        assertEquals("Bearer", missing.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("missing_api_key", error(missing).get("code").asText());
        assertEquals("invalid_request_error", error(missing).get("type").asText());
        assertTrue(error(missing).get("param").isNull());

        HttpResponse<String> unknown = send(chat("sk-bad", CHAT));
        assertEquals(401, unknown.statusCode());
        assertEquals("Bearer", unknown.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("invalid_api_key", error(unknown).get("code").asText());
        assertTrue(error(unknown).get("message").asText().startsWith("Incorrect API key provided"));
        assertEquals(0, originChats.get(), "refused requests never reach the origin");
        assertEquals(1, rejected("missing_key"));
        assertEquals(1, rejected("invalid_key"));
    }

    @Test
    void validKey_reachesOrigin_withEdgePriorityAndKeyId_neverForgedOnes() throws Exception {
        start(access(new ApiPlan("pro", 5, 100, 100, 0, 7), "key-42", "sk-good"));
        HttpResponse<String> ok = send(chat("sk-good", CHAT)
                .header("X-Yunjing-Priority", "99").header("X-Yunjing-Key-Id", "admin"));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(1, originSaw.size());
        assertEquals("[7]", originSaw.get(0).get("priority"));
        assertEquals("[key-42]", originSaw.get(0).get("keyId"));
        assertEquals("Bearer sk-good", originSaw.get(0).get("authorization"), "Authorization is forwarded");
        assertEquals(Integer.toString(CHAT.length()), originSaw.get(0).get("bodyLength"));
        // Outside /v1/ a forged header is stripped too at an edge.
        HttpResponse<String> models = send(HttpRequest.newBuilder(uri("/v1/models"))
                .header("Authorization", "Bearer sk-good").header("X-Yunjing-Priority", "99"));
        assertEquals(200, models.statusCode());
        assertEquals("[7]", originSaw.get(1).get("priority"));
    }

    /** Opens a held SSE stream and waits for its first event. */
    private HttpResponse<InputStream> openStream(String key) throws Exception {
        HttpResponse<InputStream> response = NET.client().send(chat(key, CHAT).header("X-Test-Hold", "1").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() == 200) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
            assertEquals("data: start", reader.readLine());
        }
        return response;
    }

    @Test
    void sixthConcurrentStream_is429_andSlotsComeBackAfterStreamsEnd() throws Exception {
        start(access(new ApiPlan("free", 5, 1000, 1000, 0, 1), "k1", "sk-good"));
        List<HttpResponse<InputStream>> streams = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            streams.add(openStream("sk-good"));
            assertEquals(200, streams.get(i).statusCode(), "stream " + i);
        }
        HttpResponse<String> sixth = send(chat("sk-good", CHAT).header("X-Test-Hold", "1"));
        assertEquals(429, sixth.statusCode());
        assertEquals("1", sixth.headers().firstValue("Retry-After").orElse(null));
        JsonNode body = JSON.readTree(sixth.body());
        assertEquals(1, body.get("retry_after_seconds").asInt());
        assertEquals("rate_limit_exceeded", body.get("error").get("code").asText());
        assertTrue(body.get("error").get("message").asText().contains("free plan allows 5 concurrent requests"));

        releaseStreams.countDown();
        for (HttpResponse<InputStream> stream : streams) {
            try (InputStream in = stream.body()) {
                assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("[DONE]"));
            }
        }
        releaseStreams = new CountDownLatch(1);
        HttpResponse<InputStream> again = openStream("sk-good");
        assertEquals(200, again.statusCode(), "slots released when the streams ended");
        releaseStreams.countDown();
        again.body().close();
        assertEquals(1, rejected("concurrency"));
    }

    @Test
    void clientDisconnectMidStream_releasesItsSlot() throws Exception {
        start(access(new ApiPlan("solo", 1, 1000, 1000, 0, 1), "k1", "sk-good"));
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            String raw = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer sk-good\r\n"
                    + "X-Test-Hold: 1\r\nContent-Type: application/json\r\nContent-Length: " + CHAT.length()
                    + "\r\n\r\n" + CHAT;
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.UTF_8));
            BufferedReader reader = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HTTP/1.1 200 OK", reader.readLine());
            String line;
            while ((line = reader.readLine()) != null && !line.contains("data: start")) {
                // headers and chunk size
            }
            assertEquals(429, send(chat("sk-good", CHAT)).statusCode(), "the one slot is taken");
        }
        // The socket is closed: the slot comes back once the edge sees the disconnect.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int status;
        do {
            status = send(chat("sk-good", CHAT)).statusCode();
            if (status != 200) {
                Thread.sleep(20);
            }
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status);
    }

    @Test
    void fourthRequestInAMinute_onThreePerMinutePlan_is429WithRetryAfter() throws Exception {
        start(access(new ApiPlan("tiny", 5, 3, 1000, 0, 1), "k1", "sk-good"));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, send(chat("sk-good", CHAT)).statusCode(), "request " + i);
        }
        HttpResponse<String> fourth = send(chat("sk-good", CHAT));
        assertEquals(429, fourth.statusCode());
        long retryAfter = Long.parseLong(fourth.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 0 && retryAfter <= 20, "Retry-After " + retryAfter);
        assertEquals(retryAfter, JSON.readTree(fourth.body()).get("retry_after_seconds").asLong());
        assertTrue(error(fourth).get("message").asText().contains("tiny plan allows 3 requests per minute"));
        assertEquals(3, originChats.get());
    }

    @Test
    void bodyOver20MiB_is413_andOriginSeesNothing() throws Exception {
        start(access(new ApiPlan("free", 5, 100, 100, 0, 1), "k1", "sk-good"));
        byte[] big = new byte[21 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) ' ');
        HttpResponse<String> declared = send(chat("sk-good", "").POST(HttpRequest.BodyPublishers.ofByteArray(big)));
        assertEquals(413, declared.statusCode());
        assertEquals("request_too_large", error(declared).get("code").asText());

        // Chunked, so the length is only known by counting as it streams.
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer sk-good\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                java.util.Arrays.fill(chunk, (byte) ' ');
                byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
                try {
                    for (int i = 0; i < 21 * 16; i++) {
                        out.write(size);
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException expected) {
                    // the edge stopped reading after its 413
                }
            });
            BufferedReader reader = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            assertEquals("HTTP/1.1 413 Request Entity Too Large", reader.readLine());
            socket.close();
            writer.join(5000);
        }
        assertEquals(0, originChats.get(), "the origin never saw the request");
        assertEquals(2, rejected("too_large"));
    }

    @Test
    void invalidJsonOrMissingModel_is400NamingIt() throws Exception {
        start(access(new ApiPlan("free", 5, 100, 100, 0, 1), "k1", "sk-good"));
        HttpResponse<String> broken = send(chat("sk-good", "{\"model\":"));
        assertEquals(400, broken.statusCode());
        assertEquals("invalid_json", error(broken).get("code").asText());

        HttpResponse<String> noModel = send(chat("sk-good", "{\"messages\":[]}"));
        assertEquals(400, noModel.statusCode());
        assertEquals("model", error(noModel).get("param").asText());

        HttpResponse<String> badMessages = send(chat("sk-good", "{\"model\":\"qwen\",\"messages\":\"hi\"}"));
        assertEquals(400, badMessages.statusCode());
        assertEquals("messages", error(badMessages).get("param").asText());
        assertEquals(0, originChats.get());
    }

    @Test
    void unknownV1Path_is404UnknownUrl() throws Exception {
        start(access(new ApiPlan("free", 5, 100, 100, 0, 1), "k1", "sk-good"));
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v1/chat/complete"))
                .header("Authorization", "Bearer sk-good").POST(HttpRequest.BodyPublishers.ofString(CHAT)));
        assertEquals(404, response.statusCode());
        assertEquals("unknown_url", error(response).get("code").asText());
        assertEquals(200, send(HttpRequest.newBuilder(uri("/v1/models/qwen"))
                .header("Authorization", "Bearer sk-good")).statusCode());
        assertTrue(originSaw.stream().noneMatch(m -> m.get("bodyLength").equals(Integer.toString(CHAT.length()))));
    }

    @Test
    void updateApiAccess_swapsKeys_withoutRestart() throws Exception {
        ApiPlan plan = new ApiPlan("free", 5, 100, 100, 0, 1);
        start(access(plan, "k1", "sk-old"));
        assertEquals(200, send(chat("sk-old", CHAT)).statusCode());
        edge.updateApiAccess(access(plan, "k2", "sk-new"));
        assertEquals(401, send(chat("sk-old", CHAT)).statusCode());
        assertEquals(200, send(chat("sk-new", CHAT)).statusCode());
    }

    @Test
    void openAccess_checksNothing() throws Exception {
        start(ApiAccess.OPEN);
        assertEquals(200, send(chat(null, CHAT)).statusCode());
        assertEquals(200, send(HttpRequest.newBuilder(uri("/v1/unknown"))).statusCode(), "passed to the origin");
        assertEquals(2, originSaw.size());
    }
}
