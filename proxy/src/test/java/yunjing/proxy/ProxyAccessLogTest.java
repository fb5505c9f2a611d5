package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.testing.H2cClient;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestCertificate;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON access log of a node: one well-formed line per client request, whatever became of it. */
@ExtendWith(LeakCheck.class)
class ProxyAccessLogTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("access-log-test");

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void everyKindOfRequest_getsExactlyOneLineWithItsFields() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        TestCertificate certificate = TestCertificate.create(dir);
        Path logFile = dir.resolve("logs").resolve("sh-telecom.access.jsonl");
        ProxyConfig config = new ProxyConfig("sh-telecom", "edge", Nodes.ephemeral(), Nodes.ephemeral(),
                certificate.certChain, certificate.privateKey, List.of(Nodes.origin(origin)),
                Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL).withAccessLog(logFile);
        ProxyServer edge = ProxyServer.start(config, NET.loops(), NET.metrics());
        port = edge.httpAddress().getPort();
        String host = "127.0.0.1:" + port;
        try {
            Nodes.await("edge ready", edge::isReady);
            String cached = "/cached/a?cc=max-age%3D60&etag=%22v1%22&n=100";
            assertEquals(200, get("miss", cached).statusCode());
            assertEquals(200, get("hit", cached).statusCode());
            HttpResponse<String> head = NET.client().send(request("head", cached).method("HEAD",
                    HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, head.statusCode());
            assertEquals(304, get("not-modified", cached, "If-None-Match", "\"v1\"").statusCode());
            assertEquals(206, get("range", cached, "Range", "bytes=0-9").statusCode());
            HttpResponse<String> post = NET.client().send(request("post", "/echo/post")
                    .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, post.statusCode());
            try (H2cClient h2c = new H2cClient(NET.loops(), edge.httpAddress())) {
                assertEquals(200, h2c.send(HttpMethod.GET, "/echo/h2c?id=h2c", host, null)
                        .get(10, TimeUnit.SECONDS).status());
            }
            try (HttpClient tls = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(certificate.clientContext()).build()) {
                HttpResponse<String> h2 = tls.send(HttpRequest.newBuilder(
                                URI.create("https://127.0.0.1:" + edge.httpsAddress().getPort() + "/echo/tls"))
                        .header("X-Request-Id", "h2").build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, h2.statusCode());
            }
            assertTrue(raw(port, "GET /cached/x HTTP/1.1\r\nX-Request-Id: bad\r\n\r\n").startsWith("HTTP/1.1 400"));
            abortedStream(port, origin);
        } finally {
            edge.close();
        }

        Map<String, JsonNode> byId = new HashMap<>();
        List<String> lines = Files.readAllLines(logFile);
        for (String line : lines) {
            JsonNode entry = JSON.readTree(line);
            String id = entry.get("request_id").asText();
            assertFalse(byId.containsKey(id), "two lines for " + id + ": " + lines);
            byId.put(id, entry);
            assertEquals("sh-telecom", entry.get("node").asText());
            Instant time = Instant.parse(entry.get("time").asText());
            assertTrue(Duration.between(time, Instant.now()).abs().toMinutes() < 5, line);
            assertTrue(entry.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line);
            assertEquals("127.0.0.1", entry.get("client").asText());
            assertTrue(entry.get("duration_ms").asDouble() >= 0, line);
        }
        // The h2c request has a made-up id; find it by target.
        JsonNode h2c = lines.stream().map(ProxyAccessLogTest::parse)
                .filter(e -> e.get("target").asText().equals("/echo/h2c?id=h2c")).findFirst().orElseThrow();
        byId.remove(h2c.get("request_id").asText());
        assertEquals(List.of("aborted", "bad", "h2", "head", "hit", "miss", "not-modified", "post", "range"),
                byId.keySet().stream().sorted().toList(), lines.toString());

        JsonNode miss = byId.get("miss");
        assertEquals("GET", miss.get("method").asText());
        assertEquals(host, miss.get("host").asText());
        assertEquals(cachedTarget(), miss.get("target").asText());
        assertEquals("HTTP/1.1", miss.get("protocol").asText());
        assertFalse(miss.get("tls").asBoolean());
        assertEquals(200, miss.get("status").asInt());
        assertEquals(100, miss.get("bytes").asLong());
        assertEquals("fwd=miss; stored", miss.get("cache").asText());
        assertEquals("origin", miss.get("parent").asText());
        assertTrue(miss.get("user_agent").asText().startsWith("Java-http-client"));
        assertEquals("ok", miss.get("outcome").asText());
        assertTrue(miss.get("ttfb_ms").asDouble() <= miss.get("duration_ms").asDouble());
        assertFalse(miss.has("key_id"));

        JsonNode hit = byId.get("hit");
        assertEquals("hit", hit.get("cache").asText());
        assertTrue(hit.get("parent").isNull());
        assertEquals(100, hit.get("bytes").asLong());

        assertEquals("HEAD", byId.get("head").get("method").asText());
        assertEquals(0, byId.get("head").get("bytes").asLong());
        assertEquals(304, byId.get("not-modified").get("status").asInt());
        assertEquals(0, byId.get("not-modified").get("bytes").asLong());
        assertEquals(206, byId.get("range").get("status").asInt());
        assertEquals(10, byId.get("range").get("bytes").asLong());

        JsonNode posted = byId.get("post");
        assertEquals("POST", posted.get("method").asText());
        assertEquals("fwd=bypass", posted.get("cache").asText());
        assertEquals("origin", posted.get("parent").asText());

        assertEquals("h2c", h2c.get("protocol").asText());
        assertFalse(h2c.get("tls").asBoolean());
        JsonNode h2 = byId.get("h2");
        assertEquals("h2", h2.get("protocol").asText());
        assertTrue(h2.get("tls").asBoolean());
        assertEquals(200, h2.get("status").asInt());

        JsonNode bad = byId.get("bad");
        assertEquals(400, bad.get("status").asInt());
        assertTrue(bad.get("cache").isNull());
        assertTrue(bad.get("parent").isNull());

        JsonNode aborted = byId.get("aborted");
        assertEquals("aborted", aborted.get("outcome").asText());
        assertEquals(200, aborted.get("status").asInt());
        assertTrue(aborted.get("bytes").asLong() > 0);
        assertEquals(0, edge.accessLogDropped());
    }

    private static String cachedTarget() {
        return "/cached/a?cc=max-age%3D60&etag=%22v1%22&n=100";
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError(line, e);
        }
    }

    /** An SSE stream the client leaves after its first event: logged once, as aborted. */
    private static void abortedStream(int port, TestOrigin origin) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /sse?n=100&gap=50 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: aborted\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("data:")) {
                int b = in.read();
                assertTrue(b >= 0, "stream ended before its first event: " + seen);
                seen.append((char) b);
            }
        }
        assertTrue(origin.sseCancelled.await(10, TimeUnit.SECONDS), "the cancel reached the origin");
    }

    private static String raw(int port, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private HttpRequest.Builder request(String id, String target) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                .timeout(Duration.ofSeconds(10)).header("X-Request-Id", id);
    }

    private int port;

    private HttpResponse<String> get(String id, String target, String... headers) throws Exception {
        HttpRequest.Builder builder = request(id, target);
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return NET.client().send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }
}
