package yunjing.proxy;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.ChatOrigin;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.proxy.testing.TestNetwork.uri;

/** The h2c upstream pool: multiplexing, HTTP/1.1 fallback, cancel as RST_STREAM, REFUSED_STREAM retry. */
@ExtendWith(LeakCheck.class)
class ProxyHttp2UpstreamTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("h2-upstream-test");

    private final SimpleMeterRegistry centralMetrics = new SimpleMeterRegistry();
    private ChatOrigin origin;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = NET.add(new ChatOrigin());
    }

    @Test
    void concurrentStreams_shareOneConnectionToTheParent() throws Exception {
        ProxyServer central = startCentral();
        ProxyServer edge = startEdge(List.of(Nodes.parent(central, "bj-central")));
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            streams.add(NET.client().sendAsync(HttpRequest.newBuilder(uri(edge, "/v1/chat/completions?n=20&gap=50&i=" + i)).build(),
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
        ProxyServer edge = startEdge(List.of(Nodes.origin(origin)));

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = NET.client().send(HttpRequest.newBuilder(uri(edge, "/stream?n=2&i=" + i)).build(),
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
        HttpResponse<InputStream> response = NET.client().send(HttpRequest.newBuilder(
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

            HttpResponse<String> response = NET.client().send(HttpRequest.newBuilder(uri(edge, path))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).build(), HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode(), response.body());
            assertTrue(refuser.refused.get() >= 1, "the refuser saw the stream first");
            assertEquals(List.of("{\"model\":\"m\"}"), origin.bodies, "the body went again, whole, once");
            assertEquals(1.0, retries("refused_stream"));
        }
    }

    private double retries(String cause) {
        return NET.count("yunjing.proxy.upstream.retries", "cause", cause);
    }

    private ProxyServer startCentral() throws Exception {
        return NET.startReady("central", Nodes.config("bj-central", "central", List.of(Nodes.origin(origin))), centralMetrics);
    }

    private ProxyServer startEdge(List<ParentConfig> parents) throws Exception {
        return NET.startWithHealthyParents(Nodes.edge(parents, ApiAccess.OPEN, UpstreamConfig.DEFAULT.withHttp2(true)));
    }

    /** An h2c server that refuses every stream with RST_STREAM REFUSED_STREAM (RFC 9113 §8.7). */
    private static final class Refuser implements AutoCloseable {
        final AtomicInteger refused = new AtomicInteger();
        private final Channel server;

        Refuser() throws InterruptedException {
            server = new ServerBootstrap().group(NET.loops().group()).channel(NET.loops().serverChannel())
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
