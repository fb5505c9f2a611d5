package yunjing.proxy.rtt;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real TCP handshakes with loopback targets travel to a stand-in DNS admin endpoint. */
class RttProberTest {

    @Test
    void aTargetThatAnswers_isReportedForItsBlock_andOneThatRefusesIsNot() throws Exception {
        InetAddress open = InetAddress.getByName("127.0.0.1");
        InetAddress closed = InetAddress.getByName("127.0.1.1");
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 50, closed)) {
            closedPort = s.getLocalPort(); // closed again below: connections get refused
        }
        BlockingQueue<String[]> posts = new LinkedBlockingQueue<>();
        HttpServer dns = HttpServer.create(new InetSocketAddress(open, 0), 0);
        dns.createContext("/rtt", exchange -> {
            posts.add(new String[] {exchange.getRequestHeaders().getFirst("Authorization"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)});
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        dns.start();
        URI endpoint = URI.create("http://127.0.0.1:" + dns.getAddress().getPort() + "/rtt");
        // The kernel completes handshakes into the backlog: nothing needs to accept.
        try (ServerSocket target = new ServerSocket(0, 50, open);
             RttProber prober = new RttProber("gz-unicom",
                     List.of(new InetSocketAddress(open, target.getLocalPort()), new InetSocketAddress(closed, closedPort)),
                     () -> endpoint, "secret", Duration.ofMillis(100), Duration.ofSeconds(1))) {
            String[] post = posts.poll(30, TimeUnit.SECONDS);
            assertNotNull(post, "no probe report within 30 s");
            assertEquals("Bearer secret", post[0]);
            assertTrue(post[1].matches("\\[\\{\"node\":\"gz-unicom\",\"client\":\"127\\.0\\.0\\.0/24\","
                    + "\"rtt_ms\":[0-9.]+,\"samples\":3}]"), post[1]);
        } finally {
            dns.stop(0);
        }
    }

    @Test
    void handshakeMillis_isEmptyForARefusedTarget() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
            assertTrue(RttProber.handshakeMillis(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(1))
                    .getAsDouble() > 0);
        }
        assertTrue(RttProber.handshakeMillis(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(1)).isEmpty());
    }
}
