package yunjing.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
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

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The h2c upstream pool: multiplexing, HTTP/1.1 fallback, cancel as RST_STREAM, REFUSED_STREAM retry. */
@ExtendWith(LeakCheck.class)
class ProxyHttp2UpstreamTest {

    private static EventLoops loops;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final SimpleMeterRegistry centralMetrics = new SimpleMeterRegistry();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private ChatOrigin origin;

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create(2, "h2-upstream-test");
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @BeforeEach
    void startOrigin() throws Exception {
        origin = new ChatOrigin();
    }

    @AfterEach
    void stopAll() throws Exception {
        client.close();
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
        origin.close();
    }

    @Test
    void concurrentStreams_shareOneConnectionToTheParent() throws Exception {
        ProxyServer central = startCentral();
        ProxyServer edge = startEdge(List.of(Nodes.parent(central, "bj-central")));
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            streams.add(client.sendAsync(HttpRequest.newBuilder(uri(edge, "/v1/chat/completions?n=20&gap=50&i=" + i)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Nodes.await("all eight streams at the origin", () -> origin.started.get() == 8);
        double centralConnections = centralMetrics.find("yunjing.proxy.connections.active").gauge().value();

        for (CompletableFuture<HttpResponse<String>> stream : streams) {
            HttpResponse<String> response = stream.get(20, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertTrue(response.body().endsWith("data: [DONE]\n\n"));
        }
        // One h2 connection per edge event loop (2 here), plus the edge's health-probe connection; HTTP/1.1 needs 8.
        assertTrue(centralConnections <= 3, "central had " + centralConnections + " client connections for 8 streams");
        assertTrue(origin.vias.stream().allMatch(via -> via.contains("2 bj-central")), "central received h2: " + origin.vias);
    }

    @Test
    void parentWithoutH2_getsHttp11_fromTheFirstRequestOn() throws Exception {
        ProxyServer edge = startEdge(List.of(new ParentConfig("origin", origin.address(), origin.readyzUrl())));

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(edge, "/stream?n=2&i=" + i)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            assertTrue(response.body().endsWith("data: [DONE]\n\n"));
        }
        assertEquals(1.0, retries("no_http2"), "one retry over HTTP/1.1, then HTTP/1.1 straight away");
    }

    @Test
    void clientCancel_travelsAsRstStream_andReachesTheOrigin() throws Exception {
        ProxyServer central = startCentral();
        ProxyServer edge = startEdge(List.of(Nodes.parent(central, "bj-central")));
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(
                uri(edge, "/v1/chat/completions?n=200&gap=50")).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            assertTrue(body.read() >= 0, "first event arrived");
        }
        Nodes.await("the origin saw the cancel", () -> origin.cancelled.get() == 1);
        assertEquals(0, origin.completed.get());
    }

    @Test
    void refusedStream_isRetriedOnTheNextParent_bodyIncluded() throws Exception {
        ProxyServer central = startCentral();
        try (Refuser refuser = new Refuser()) {
            List<ParentConfig> parents = List.of(new ParentConfig("refuser", refuser.address(), origin.readyzUrl()),
                    Nodes.parent(central, "bj-central"));
            ProxyServer edge = startEdge(parents);
            String path = Nodes.pathHomedOn(parents, "refuser", edge, "/stream?n=1&k=");

            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(edge, path))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).build(), HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode(), response.body());
            assertTrue(refuser.refused.get() >= 1, "the refuser saw the stream first");
            assertEquals(List.of("{\"model\":\"m\"}"), origin.bodies, "the body went again, whole, once");
            assertEquals(1.0, retries("refused_stream"));
        }
    }

    private double retries(String cause) {
        Counter counter = metrics.find("yunjing.proxy.upstream.retries").tag("cause", cause).counter();
        return counter == null ? 0 : counter.count();
    }

    private ProxyServer startCentral() throws Exception {
        ProxyServer central = ProxyServer.start(Nodes.config("bj-central", "central",
                List.of(new ParentConfig("origin", origin.address(), origin.readyzUrl()))), loops, centralMetrics);
        resources.add(central);
        Nodes.await("central ready", central::isReady);
        return central;
    }

    private ProxyServer startEdge(List<ParentConfig> parents) throws Exception {
        ProxyServer edge = ProxyServer.start(new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(), null, null, null,
                parents, Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL, CacheConfig.memoryOnly(),
                ProxyConfig.DEFAULT_CLIENT_IDLE_TIMEOUT, ApiAccess.OPEN, UpstreamConfig.DEFAULT.withHttp2(true)),
                loops, metrics);
        resources.add(edge);
        Nodes.await("edge ready", () -> edge.parentHealth().values().stream().allMatch(h -> h));
        return edge;
    }

    private static URI uri(ProxyServer proxy, String path) {
        return URI.create("http://127.0.0.1:" + proxy.httpAddress().getPort() + path);
    }

    /** An h2c server that refuses every stream with RST_STREAM REFUSED_STREAM (RFC 9113 §8.7). */
    private static final class Refuser implements AutoCloseable {
        final AtomicInteger refused = new AtomicInteger();
        private final Channel server;

        Refuser() throws InterruptedException {
            server = new ServerBootstrap().group(loops.group()).channel(loops.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    if (msg instanceof Http2HeadersFrame headers) {
                                        refused.incrementAndGet();
                                        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM)
                                                .stream(headers.stream()));
                                    }
                                    ReferenceCountUtil.release(msg);
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.localAddress();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
        }
    }
}
