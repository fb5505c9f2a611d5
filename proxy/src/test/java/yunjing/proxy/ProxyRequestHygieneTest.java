package yunjing.proxy;

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

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request hygiene on the HTTP/1.1 listener, with raw bytes over a socket: size limits (414, 431),
 * ambiguous framing refused (request smuggling, RFC 9112 §6), dot segments in the cache key, idle clients.
 */
@ExtendWith(LeakCheck.class)
class ProxyRequestHygieneTest {

    private static EventLoops loops;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private TestOrigin origin;
    private ProxyServer edge;

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create(2, "hygiene-test");
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
        edge = startEdge(ProxyConfig.DEFAULT_CLIENT_IDLE_TIMEOUT);
    }

    private ProxyServer startEdge(Duration idle) throws Exception {
        ProxyConfig base = Nodes.config("gz-unicom", "edge", List.of(Nodes.origin(origin)));
        ProxyServer node = ProxyServer.start(new ProxyConfig(base.nodeId(), base.tier(), base.httpBind(), null, null,
                null, base.parents(), base.connectTimeout(), base.healthInterval(), CacheConfig.memoryOnly(), idle),
                loops, metrics);
        Nodes.await("edge ready", node::isReady);
        return node;
    }

    @AfterEach
    void stop() {
        edge.close();
        origin.close();
    }

    /** Sends {@code raw}, reads until the proxy closes the connection (5 s at most), returns what came back. */
    private String exchangeUntilClose(String raw) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            // readAllBytes returns only at EOF: the test fails with a timeout if the proxy keeps it open.
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String statusLine(String response) {
        int end = response.indexOf("\r\n");
        return end < 0 ? response : response.substring(0, end);
    }

    private void assertRefused(String raw, int status, String code) throws Exception {
        String response = exchangeUntilClose(raw);
        assertTrue(statusLine(response).startsWith("HTTP/1.1 " + status + " "), statusLine(response) + " for " + raw);
        assertTrue(response.contains("\"code\":\"" + code + "\""), response);
        assertTrue(response.toLowerCase().contains("content-type: application/json"), response);
        assertTrue(response.toLowerCase().contains("connection: close"), response);
    }

    @Test
    void oversizeRequestLine_gets414() throws Exception {
        assertRefused("GET /echo/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long");
    }

    @Test
    void oversizeHeaders_get431() throws Exception {
        assertRefused("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(40_000) + "\r\n\r\n",
                431, "request_header_fields_too_large");
    }

    @Test
    void contentLengthWithTransferEncoding_gets400AndClose_andNothingIsForwarded() throws Exception {
        // The classic CL.TE smuggling shape: a second request hidden in the body.
        String smuggled = "GET /cached/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        String raw = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n" + smuggled;
        assertRefused(raw, 400, "bad_request");
        assertEquals(0, origin.fetchCount("/cached/smuggled"));
    }

    @Test
    void duplicateOrInvalidContentLength_gets400() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, "bad_request");
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400, "bad_request");
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400, "bad_request");
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", 400, "bad_request");
    }

    @Test
    void obfuscatedTransferEncoding_gets400() throws Exception {
        for (String te : List.of("xchunked", "chunked, identity", "\"chunked\"", "chunked, chunked", "identity")) {
            assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n", 400, "bad_request");
        }
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                400, "bad_request");
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, "bad_request");
        assertRefused("POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "bad_request");
        assertRefused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "not_implemented");
    }

    @Test
    void plainChunkedRequest_isStillForwarded() throws Exception {
        String response = exchangeUntilClose("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertEquals("HTTP/1.1 200 OK", statusLine(response));
        assertTrue(response.contains("\"bodyBytes\":5,"), response);
    }

    @Test
    void dotSegments_areRemovedBeforeTheCacheKey() throws Exception {
        String first = exchangeUntilClose("GET /cached/a/../dots?cc=max-age%3D600 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(statusLine(first).startsWith("HTTP/1.1 200"), first);
        for (String variant : List.of("/cached/dots?cc=max-age%3D600", "/cached/./b/c/../../%2E%2E/cached/%64ots?cc=max-age%3D600")) {
            String again = exchangeUntilClose("GET " + variant + " HTTP/1.1\r\nHost: X\r\nConnection: close\r\n\r\n");
            assertTrue(again.contains("Cache-Status: gz-unicom; hit") || again.contains("cache-status: gz-unicom; hit"), again);
        }
    }

    @Test
    void idleClient_isClosedAfterTheTimeout() throws Exception {
        edge.close();
        edge = startEdge(Duration.ofMillis(300));
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            long started = System.nanoTime();
            InputStream in = socket.getInputStream();
            assertEquals(-1, in.read(), "closed by the proxy");
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis >= 250, "closed after " + millis + " ms, not before the timeout");
        }
        // A keep-alive connection is closed once it has been idle after a response.
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /cached/idle?cc=max-age%3D60 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(statusLine(response).startsWith("HTTP/1.1 200"), response);
        }
    }

    @Test
    void defaultIdleTimeout_keepsAQuietConnectionOpen() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
            socket.setSoTimeout(1000);
            assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read());
        }
    }

    @Test
    void idleTimeout_mustBePositive() {
        ProxyConfig base = Nodes.config("gz-unicom", "edge", List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ProxyConfig(base.nodeId(),
                base.tier(), base.httpBind(), null, null, null, base.parents(), base.connectTimeout(),
                base.healthInterval(), CacheConfig.memoryOnly(), Duration.ZERO));
        assertEquals("clientIdleTimeout: PT0S (expected: > 0)", e.getMessage());
    }
}
