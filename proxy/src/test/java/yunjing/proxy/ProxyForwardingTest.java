package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import yunjing.common.net.EventLoops;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestOrigin;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forwarding over HTTP/1.1 through one node and through a chain of two: bodies, streaming, headers. */
@ExtendWith(LeakCheck.class)
class ProxyForwardingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static EventLoops loops;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private TestOrigin origin;
    private ProxyServer central;
    private ProxyServer edge;

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create(2, "forwarding-test");
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @BeforeEach
    void startChain() throws Exception {
        origin = new TestOrigin();
        central = ProxyServer.start(Nodes.config("bj-central", "central", List.of(Nodes.origin(origin))), loops, metrics);
        edge = ProxyServer.start(Nodes.config("gz-unicom", "edge", List.of(Nodes.parent(central, "bj-central"))), loops, metrics);
        Nodes.await("central ready", central::isReady);
        Nodes.await("edge ready", edge::isReady);
    }

    @AfterEach
    void stopChain() {
        client.close();
        edge.close();
        central.close();
        origin.close();
    }

    @Test
    void get_throughOneNode_reachesOriginWithForwardingHeaders() throws Exception {
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(uri(central, "/echo/models?x=1")).header("X-Request-Id", "req-one").build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        JsonNode echo = JSON.readTree(response.body());
        assertEquals("GET", echo.get("method").asText());
        assertEquals("/echo/models?x=1", echo.get("path").asText());
        assertEquals("1.1 bj-central", header(echo, "via"));
        assertEquals("req-one", header(echo, "x-request-id"));
        assertEquals("for=127.0.0.1;by=bj-central;proto=http", header(echo, "forwarded"));
        assertEquals("127.0.0.1:" + central.httpAddress().getPort(), header(echo, "host"));
        assertEquals("req-one", response.headers().firstValue("x-request-id").orElseThrow());
        assertEquals("1.1 bj-central", response.headers().firstValue("via").orElseThrow());
        // The echo has no freshness and no validator: looked up, missed, not stored (RFC 9211 §2.2).
        assertEquals("origin; fwd=uri-miss, bj-central; fwd=miss",
                response.headers().firstValue("cache-status").orElseThrow());
    }

    @Test
    void get_throughChain_viaListsTiersInOrderAndRequestIdIsGeneratedOnceAtTheEdge() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(edge, "/echo")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        JsonNode echo = JSON.readTree(response.body());
        // Requests list the proxies from the client towards the origin, responses from the origin back.
        assertEquals("1.1 gz-unicom, 1.1 bj-central", header(echo, "via"));
        assertEquals("1.1 bj-central, 1.1 gz-unicom", response.headers().firstValue("via").orElseThrow());
        assertEquals("origin; fwd=uri-miss, bj-central; fwd=miss, gz-unicom; fwd=miss",
                response.headers().firstValue("cache-status").orElseThrow());
        assertEquals("for=127.0.0.1;by=gz-unicom;proto=http, for=127.0.0.1;by=bj-central;proto=http",
                header(echo, "forwarded"));
        String requestId = header(echo, "x-request-id");
        assertEquals(requestId, UUID.fromString(requestId).toString());
        assertEquals(requestId, response.headers().firstValue("x-request-id").orElseThrow());
    }

    @Test
    void hopByHopHeaders_areNotForwarded() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(edge, "/echo"))
                        .header("X-Secret-Hop", "1").header("Proxy-Connection", "keep-alive")
                        .header("X-Kept", "yes").build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode headers = JSON.readTree(response.body()).get("headers");
        assertEquals("yes", headers.get("x-kept").get(0).asText());
        assertFalse(headers.has("proxy-connection"));
        assertFalse(headers.has("keep-alive"));
        assertFalse(headers.has("x-http2-stream-id"));
        assertFalse(headers.has("transfer-encoding"));
    }

    @Test
    void post_fiveMiBBody_streamsThroughChainIntact() throws Exception {
        byte[] body = new byte[5 * 1024 * 1024 + 17];
        new Random(42).nextBytes(body);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));

        HttpResponse<String> fixed = client.send(HttpRequest.newBuilder(uri(edge, "/echo/upload"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        // A publisher of unknown length makes the JDK client send the body chunked.
        HttpResponse<String> chunked = client.send(HttpRequest.newBuilder(uri(edge, "/echo/upload"))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());

        for (HttpResponse<String> response : List.of(fixed, chunked)) {
            assertEquals(200, response.statusCode());
            JsonNode echo = JSON.readTree(response.body());
            assertEquals("POST", echo.get("method").asText());
            assertEquals(body.length, echo.get("bodyBytes").asLong());
            assertEquals(sha, echo.get("bodySha256").asText());
        }
    }

    @Test
    void post_oneMiBBody_throughOneNode() throws Exception {
        byte[] body = new byte[1024 * 1024];
        new Random(7).nextBytes(body);
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(central, "/echo"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(body.length, JSON.readTree(response.body()).get("bodyBytes").asLong());
    }

    @Test
    void sse_eventsReachTheClientAsTheyAreSent_throughChain() throws Exception {
        List<Long> receivedNanos = new ArrayList<>();
        HttpResponse<Stream<String>> response = client.send(
                HttpRequest.newBuilder(uri(edge, "/sse?n=5&gap=100")).build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals("text/event-stream", response.headers().firstValue("content-type").orElseThrow());
        try (Stream<String> lines = response.body()) {
            lines.filter(line -> line.startsWith("data: {")).forEach(line -> receivedNanos.add(System.nanoTime()));
        }

        assertEquals(5, receivedNanos.size());
        assertEquals(5, origin.sseSentNanos.size());
        long lastSent = origin.sseSentNanos.get(4);
        // 400 ms separate the first event from the last at the origin; a relay that buffered the response
        // could deliver the first event only after the last was sent.
        assertTrue(receivedNanos.get(0) < lastSent,
                "first event arrived " + (receivedNanos.get(0) - lastSent) / 1_000_000 + " ms after the last was sent");
    }

    @Test
    void largeDownload_toASlowReader_arrivesComplete() throws Exception {
        int size = 16 * 1024 * 1024;
        HttpResponse<java.io.InputStream> response = client.send(
                HttpRequest.newBuilder(uri(edge, "/bytes?n=" + size)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(String.valueOf(size), response.headers().firstValue("content-length").orElseThrow());
        long count = 0;
        try (java.io.InputStream in = response.body()) {
            Thread.sleep(300); // let every buffer on the way fill up, so the proxies must stop reading
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != (byte) ((count + i) % 251)) {
                        throw new AssertionError("byte " + (count + i) + " is wrong");
                    }
                }
                count += n;
            }
        }
        assertEquals(size, count);
    }

    @Test
    void keepAlive_sequentialRequests_reuseOneUpstreamConnection() throws Exception {
        // This edge probes the origin's /readyz directly: probes forwarded through central (every 100 ms)
        // could hold central's pooled connection just when a request comes, and make it open another.
        ProxyServer quietEdge = ProxyServer.start(Nodes.config("gz-unicom", "edge", List.of(
                new ParentConfig("bj-central", central.httpAddress(), origin.readyzUrl()))), loops, metrics);
        try {
            Nodes.await("quiet edge ready", quietEdge::isReady);
            sequentialRequestsReuseOneUpstreamConnection(quietEdge);
        } finally {
            quietEdge.close();
        }
    }

    private void sequentialRequestsReuseOneUpstreamConnection(ProxyServer edge) throws Exception {
        java.util.Set<Integer> originSidePorts = new java.util.HashSet<>();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(edge, "/echo/" + i)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode echo = JSON.readTree(response.body());
            assertEquals("/echo/" + i, echo.get("path").asText());
            originSidePorts.add(echo.get("remotePort").asInt());
        }
        assertEquals(1, originSidePorts.size(), "central reused its pooled connection to the origin: " + originSidePorts);
        HttpResponse<Void> head = client.send(HttpRequest.newBuilder(uri(edge, "/echo"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
    }

    @Test
    void pipelinedRequests_http11_areAnsweredInOrder() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /echo/first HTTP/1.1\r\nHost: api.mirror.test\r\n\r\n"
                    + "POST /echo/second HTTP/1.1\r\nHost: api.mirror.test\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /echo/third HTTP/1.1\r\nHost: api.mirror.test\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (String path : List.of("/echo/first", "/echo/second", "/echo/third")) {
                JsonNode echo = JSON.readTree(readResponseBody(in));
                assertEquals(path, echo.get("path").asText());
            }
            assertEquals(-1, in.read(), "closed after the request that asked for it");
        }
    }

    @Test
    void malformedRequest_http11_answers400JsonAndCloses() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /echo HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            String statusLine = readLine(in);
            assertTrue(statusLine.startsWith("HTTP/1.1 400"), statusLine);
            JsonNode error = JSON.readTree(readBodyAfterStatus(in)).get("error");
            assertEquals("invalid_request_error", error.get("type").asText());
            assertTrue(error.get("message").asText().contains("Host"), error.get("message").asText());
            assertEquals(-1, in.read());
        }
    }

    /** Reads one HTTP/1.1 response with a Content-Length body and returns the body. */
    private static String readResponseBody(java.io.InputStream in) throws java.io.IOException {
        String statusLine = readLine(in);
        assertTrue(statusLine.startsWith("HTTP/1.1 200"), statusLine);
        return readBodyAfterStatus(in);
    }

    private static String readBodyAfterStatus(java.io.InputStream in) throws java.io.IOException {
        int length = -1;
        for (String line; !(line = readLine(in)).isEmpty(); ) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        assertTrue(length >= 0, "response has a Content-Length");
        return new String(in.readNBytes(length), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String readLine(java.io.InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new java.io.EOFException("connection closed after: " + line);
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Test
    void metrics_countResponsesByStatusClassAndOpenConnections() throws Exception {
        client.send(HttpRequest.newBuilder(uri(edge, "/echo")).build(), HttpResponse.BodyHandlers.ofString());
        var requests = metrics.find("yunjing.proxy.requests").tags("node", "gz-unicom", "status", "2xx").counter();
        assertNotNull(requests);
        assertEquals(1.0, requests.count());
        var connections = metrics.find("yunjing.proxy.connections.active").tag("node", "gz-unicom").gauge();
        assertNotNull(connections);
        assertTrue(connections.value() >= 1.0, "the client's keep-alive connection is open");
        assertEquals(1.0, metrics.find("yunjing.proxy.parent.healthy").tags("node", "gz-unicom", "parent", "bj-central")
                .gauge().value());
    }

    private static URI uri(ProxyServer proxy, String path) {
        return URI.create("http://127.0.0.1:" + proxy.httpAddress().getPort() + path);
    }

    private static String header(JsonNode echo, String name) {
        JsonNode values = echo.get("headers").get(name);
        assertNotNull(values, "origin did not receive " + name + ": " + echo.get("headers"));
        assertEquals(1, values.size(), name + " as one field line: " + values);
        return values.get(0).asText();
    }
}
