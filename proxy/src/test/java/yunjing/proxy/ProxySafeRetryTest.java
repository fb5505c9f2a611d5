package yunjing.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import yunjing.common.net.EventLoops;
import yunjing.proxy.testing.ChatOrigin;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retry rules when a parent takes a whole request and then closes the connection without a byte of
 * response: an idempotent GET goes to the next parent; a POST whose body reached the parent does not
 * (the parent may have acted on it), it gets a 502.
 */
@ExtendWith(LeakCheck.class)
class ProxySafeRetryTest {

    private static EventLoops loops;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private ChatOrigin origin;
    private Slammer slammer;
    private ProxyServer edge;
    private List<ParentConfig> parents;

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create(2, "safe-retry-test");
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @BeforeEach
    void start() throws Exception {
        origin = new ChatOrigin();
        slammer = new Slammer();
        // Both pass their health checks (the origin's readyz); only the origin answers requests.
        parents = List.of(new ParentConfig("slammer", slammer.address(), origin.readyzUrl()),
                new ParentConfig("origin", origin.address(), origin.readyzUrl()));
        edge = ProxyServer.start(Nodes.config("gz-unicom", "edge", parents), loops, metrics);
        Nodes.await("edge ready", () -> edge.parentHealth().values().stream().allMatch(h -> h));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        edge.close();
        slammer.close();
        origin.close();
    }

    @Test
    void idempotentGet_closedBeforeAnyResponse_isRetriedOnTheNextParent() throws Exception {
        String path = Nodes.pathHomedOn(parents, "slammer", edge, "/stream?n=1&k=");

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(path)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(1, slammer.requests.get(), "the slammer got the request first");
        assertEquals(1, origin.started.get());
        assertEquals(1.0, retries("closed_idempotent"));
    }

    @Test
    void postWhoseBodyReachedTheParent_isNotRetried_502() throws Exception {
        String path = Nodes.pathHomedOn(parents, "slammer", edge, "/stream?n=1&k=");

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(path))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(502, response.statusCode(), response.body());
        assertTrue(response.body().contains("closed before the response"), response.body());
        assertEquals(0, origin.started.get(), "never sent twice");
        assertEquals(0.0, retries("closed_before_body") + retries("closed_idempotent"));
    }

    private double retries(String cause) {
        Counter counter = metrics.find("yunjing.proxy.upstream.retries").tag("cause", cause).counter();
        return counter == null ? 0 : counter.count();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + path);
    }

    /** Reads one whole request (head and Content-Length body) per connection, then closes without answering. */
    private static final class Slammer implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        private final Thread acceptor = Thread.ofVirtual().start(this::serve);

        Slammer() throws IOException {
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", server.getLocalPort());
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    socket.setSoTimeout(5000);
                    InputStream in = socket.getInputStream();
                    String head = readHead(in);
                    int length = 0;
                    for (String line : head.split("\r\n")) {
                        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).strip());
                        }
                    }
                    in.readNBytes(length);
                    requests.incrementAndGet();
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        }

        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                String text = head.toString(StandardCharsets.US_ASCII);
                if (text.endsWith("\r\n\r\n")) {
                    return text;
                }
            }
            throw new IOException("closed before the end of the head");
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(5000);
        }
    }
}
