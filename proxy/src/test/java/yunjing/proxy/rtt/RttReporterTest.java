package yunjing.proxy.rtt;

import com.sun.net.httpserver.HttpServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import yunjing.common.net.EventLoops;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real epoll connection's TCP_INFO RTT travels to a stand-in DNS admin endpoint. */
class RttReporterTest {

    @Test
    void acceptedConnections_arePostedPerBlock_withTheToken() throws Exception {
        try (EventLoops loops = EventLoops.create(1, "rtt-test")) {
            Assumptions.assumeTrue("epoll".equals(loops.transport()), "TCP_INFO needs the epoll transport");
            ChannelGroup accepted = new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE);
            Channel server = new ServerBootstrap().group(loops.group()).channel(loops.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.add(ch);
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            BlockingQueue<String[]> posts = new LinkedBlockingQueue<>();
            HttpServer dns = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            dns.createContext("/rtt", exchange -> {
                posts.add(new String[] {exchange.getRequestMethod(), exchange.getRequestHeaders().getFirst("Authorization"),
                        new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)});
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            dns.start();
            URI endpoint = URI.create("http://127.0.0.1:" + dns.getAddress().getPort() + "/rtt");
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
                 RttReporter reporter = new RttReporter("sh-telecom", () -> accepted, () -> endpoint, "secret",
                         Duration.ofMillis(100))) {
                client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII)); // an RTT sample
                String[] post = posts.poll(30, TimeUnit.SECONDS);
                assertNotNull(post, "no report within 30 s");
                assertEquals("POST", post[0]);
                assertEquals("Bearer secret", post[1]);
                assertTrue(post[2].matches("\\[\\{\"node\":\"sh-telecom\",\"client\":\"127\\.0\\.0\\.0/24\","
                        + "\"rtt_ms\":[0-9.]+,\"samples\":1}]"), post[2]);
            } finally {
                dns.stop(0);
                server.close().sync();
                accepted.close().sync();
            }
        }
    }

    @Test
    void nonEpollChannels_haveNoRtt() throws Exception {
        assertTrue(RttReporter.rttMillis(new io.netty.channel.embedded.EmbeddedChannel()).isEmpty());
    }
}
