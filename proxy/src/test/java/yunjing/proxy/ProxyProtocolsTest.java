package yunjing.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import yunjing.common.net.EventLoops;
import yunjing.proxy.testing.H2cClient;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestCertificate;
import yunjing.proxy.testing.TestOrigin;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client-side protocols: h2c by prior knowledge and by Upgrade, h2 and HTTP/1.1 over TLS by ALPN, TLS versions. */
@ExtendWith(LeakCheck.class)
class ProxyProtocolsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path certDir;

    private static EventLoops loops;
    private static TestOrigin origin;
    private static TestCertificate certificate;
    private static ProxyServer edge;

    @BeforeAll
    static void start() throws Exception {
        loops = EventLoops.create(2, "protocols-test");
        origin = new TestOrigin();
        certificate = TestCertificate.create(certDir);
        ProxyConfig config = new ProxyConfig("sh-telecom", "edge", Nodes.ephemeral(), Nodes.ephemeral(),
                certificate.certChain, certificate.privateKey, List.of(Nodes.origin(origin)),
                Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL);
        edge = ProxyServer.start(config, loops, new SimpleMeterRegistry());
        Nodes.await("edge ready", edge::isReady);
    }

    @AfterAll
    static void stop() {
        edge.close();
        origin.close();
        loops.close();
    }

    @Test
    void h2cPriorKnowledge_requestIsForwardedWithHttp2Via() throws Exception {
        try (H2cClient h2c = new H2cClient(loops, edge.httpAddress())) {
            H2cClient.Response response = h2c.send(HttpMethod.GET, "/echo/h2c", "api.mirror.test", null)
                    .get(10, TimeUnit.SECONDS);

            assertEquals(200, response.status());
            JsonNode echo = JSON.readTree(response.body());
            assertEquals("/echo/h2c", echo.get("path").asText());
            assertEquals("2 sh-telecom", header(echo, "via"));
            assertEquals("api.mirror.test", header(echo, "host"), ":authority becomes Host");
            assertEquals("for=127.0.0.1;by=sh-telecom;proto=http", header(echo, "forwarded"));
            assertTrue(response.headers().contains("x-request-id"));
            assertEquals("1.1 sh-telecom", response.headers().get("via"));
        }
    }

    @Test
    void h2cPriorKnowledge_sseEventsStreamPerStream() throws Exception {
        List<Long> chunkNanos = new ArrayList<>();
        try (H2cClient h2c = new H2cClient(loops, edge.httpAddress())) {
            H2cClient.Response response = h2c.send(HttpMethod.GET, "/sse?n=5&gap=100", "api.mirror.test",
                    chunk -> {
                        if (chunk.contains("data: {")) {
                            chunkNanos.add(System.nanoTime());
                        }
                    }).get(10, TimeUnit.SECONDS);
            assertEquals(200, response.status());
        }
        assertTrue(chunkNanos.size() >= 2, "events arrived in " + chunkNanos.size() + " piece(s)");
        assertTrue(chunkNanos.get(0) < origin.sseSentNanos.get(4), "first event arrived before the last was sent");
    }

    @Test
    void h2cUpgrade_fromHttp11_isServedOverHttp2() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<String> first = client.send(HttpRequest.newBuilder(uri("http", edge.httpAddress().getPort(), "/echo/up")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> second = client.send(HttpRequest.newBuilder(uri("http", edge.httpAddress().getPort(), "/echo/again")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(HttpClient.Version.HTTP_2, first.version());
            assertEquals(200, first.statusCode());
            assertEquals("/echo/up", JSON.readTree(first.body()).get("path").asText());
            assertEquals(HttpClient.Version.HTTP_2, second.version());
            assertEquals("2 sh-telecom", header(JSON.readTree(second.body()), "via"));
        }
    }

    @Test
    void tls_alpnH2_isServedOverHttp2WithHttpsProto() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(certificate.clientContext()).build()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(uri("https", edge.httpsAddress().getPort(), "/echo/tls")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(HttpClient.Version.HTTP_2, response.version());
            JsonNode echo = JSON.readTree(response.body());
            assertEquals("2 sh-telecom", header(echo, "via"));
            assertEquals("for=127.0.0.1;by=sh-telecom;proto=https", header(echo, "forwarded"));
        }
    }

    @Test
    void tls_alpnHttp11_isServedOverHttp11() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(certificate.clientContext()).build()) {
            byte[] body = new byte[2 * 1024 * 1024];
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(uri("https", edge.httpsAddress().getPort(), "/echo/tls"))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(HttpClient.Version.HTTP_1_1, response.version());
            JsonNode echo = JSON.readTree(response.body());
            assertEquals("1.1 sh-telecom", header(echo, "via"));
            assertEquals(body.length, echo.get("bodyBytes").asLong());
        }
    }

    @Test
    void tls12_handshakeSucceeds() throws Exception {
        try (SSLSocket socket = (SSLSocket) certificate.clientContext().getSocketFactory()
                .createSocket("127.0.0.1", edge.httpsAddress().getPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.2"});
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(5000);
            socket.startHandshake();
            assertEquals("TLSv1.2", socket.getSession().getProtocol());
        }
    }

    /**
     * The JDK client refuses TLS 1.1 by itself (jdk.tls.disabledAlgorithms), which would prove nothing about
     * the server; so this sends a hand-made TLS 1.1 ClientHello and checks that no ServerHello comes back.
     */
    @Test
    void tls11_clientHelloIsRefusedWithProtocolVersionAlert() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", edge.httpsAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(tls11ClientHello());
            socket.getOutputStream().flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int contentType;
            try {
                contentType = in.readUnsignedByte();
            } catch (EOFException closedWithoutAnswer) {
                return; // also a refusal
            }
            assertNotEquals(22, contentType, "server answered the TLS 1.1 hello with a handshake record");
            assertEquals(21, contentType, "expected an alert record");
            in.readUnsignedShort(); // record version
            int length = in.readUnsignedShort();
            assertEquals(2, length);
            assertEquals(2, in.readUnsignedByte(), "fatal");
            assertEquals(70, in.readUnsignedByte(), "protocol_version (RFC 5246 §7.2)");
            InputStream rest = socket.getInputStream();
            assertEquals(-1, rest.read(), "connection closed after the alert");
        }
    }

    /** A ClientHello offering only TLS 1.1 and two TLS 1.1 cipher suites, no extensions (RFC 4346 §7.4.1.2). */
    private static byte[] tls11ClientHello() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(2);                                            // client_version TLS 1.1
        body.writeBytes(new byte[32]);                            // random
        body.write(0);                                            // session_id
        body.writeBytes(new byte[] {0, 4, 0x00, 0x2f, 0x00, 0x35}); // TLS_RSA_WITH_AES_128/256_CBC_SHA
        body.writeBytes(new byte[] {1, 0});                       // compression: null
        byte[] hello = body.toByteArray();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        int handshakeLength = hello.length + 4;
        record.writeBytes(new byte[] {22, 3, 2, (byte) (handshakeLength >> 8), (byte) handshakeLength});
        record.writeBytes(new byte[] {1, 0, (byte) (hello.length >> 8), (byte) hello.length});
        record.writeBytes(hello);
        return record.toByteArray();
    }

    private static URI uri(String scheme, int port, String path) {
        return URI.create(scheme + "://127.0.0.1:" + port + path);
    }

    private static String header(JsonNode echo, String name) {
        JsonNode values = echo.get("headers").get(name);
        assertTrue(values != null && values.size() == 1, name + ": " + values);
        return values.get(0).asText();
    }
}
