package yunjing.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node's local handler ({@link ProxyServer#start(ProxyConfig, EventLoops, io.micrometer.core.instrument.MeterRegistry,
 * java.util.function.Supplier)}) sits in front of the proxy on every protocol: HTTP/1.1 in cleartext and over TLS,
 * h2c and h2 streams. What it owns it answers; everything else, body included, reaches the proxy.
 */
@ExtendWith(LeakCheck.class)
class ProxyLocalHandlerTest {

    @TempDir
    static Path certDir;

    private static EventLoops loops;
    private static TestOrigin origin;
    private static TestCertificate certificate;
    private static ProxyServer node;
    private static final AtomicInteger answered = new AtomicInteger();

    /** Answers GET /local/… itself; passes every other request on. One per connection or stream. */
    private static final class LocalAnswers extends ChannelInboundHandlerAdapter {
        private boolean swallowing;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request && request.uri().startsWith("/local/")) {
                swallowing = true;
                answered.incrementAndGet();
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer("local " + request.uri(), StandardCharsets.UTF_8));
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                ReferenceCountUtil.release(msg);
                if (msg instanceof LastHttpContent) {
                    swallowing = false;
                }
                ctx.writeAndFlush(response);
                return;
            }
            if (swallowing && msg instanceof HttpContent) {
                swallowing = !(msg instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        loops = EventLoops.create(2, "local-handler-test");
        origin = new TestOrigin();
        certificate = TestCertificate.create(certDir);
        ProxyConfig config = new ProxyConfig("bj-central", "central", Nodes.ephemeral(), Nodes.ephemeral(),
                certificate.certChain, certificate.privateKey, List.of(Nodes.origin(origin)),
                Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL);
        node = ProxyServer.start(config, loops, new SimpleMeterRegistry(), LocalAnswers::new);
        Nodes.await("node ready", node::isReady);
    }

    @AfterAll
    static void stop() {
        node.close();
        origin.close();
        loops.close();
    }

    private static void localAndProxied(HttpClient client, String scheme, int port, HttpClient.Version version) throws Exception {
        int before = answered.get();
        HttpResponse<String> local = client.send(java.net.http.HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + "/local/a")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> proxied = client.send(java.net.http.HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + "/echo/b"))
                .POST(BodyPublishers.ofString("a body for the origin")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> localAgain = client.send(java.net.http.HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + "/local/c")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(version, local.version());
        assertEquals("local /local/a", local.body());
        assertEquals(200, proxied.statusCode());
        assertTrue(proxied.body().contains("\"path\":\"/echo/b\""), proxied.body());
        assertTrue(proxied.headers().firstValue("via").orElse("").contains("bj-central"), "through the proxy");
        assertEquals("local /local/c", localAgain.body(), "the connection goes on after a proxied request");
        assertEquals(before + 2, answered.get());
    }

    @Test
    void cleartextHttp11() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            localAndProxied(client, "http", node.httpAddress().getPort(), HttpClient.Version.HTTP_1_1);
        }
    }

    @Test
    void tlsHttp11_andH2() throws Exception {
        for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
            try (HttpClient client = HttpClient.newBuilder().version(version).sslContext(certificate.clientContext()).build()) {
                localAndProxied(client, "https", node.httpsAddress().getPort(), version);
            }
        }
    }

    @Test
    void h2cPriorKnowledge() throws Exception {
        int before = answered.get();
        try (H2cClient h2c = new H2cClient(loops, node.httpAddress())) {
            H2cClient.Response local = h2c.send(HttpMethod.GET, "/local/x", "models.mirror.test", null).get(10, TimeUnit.SECONDS);
            H2cClient.Response proxied = h2c.send(HttpMethod.GET, "/echo/y", "models.mirror.test", null).get(10, TimeUnit.SECONDS);
            assertEquals(200, local.status());
            assertEquals("local /local/x", local.body());
            assertEquals(200, proxied.status());
            assertTrue(proxied.body().contains("\"path\":\"/echo/y\""), proxied.body());
        }
        assertEquals(before + 1, answered.get());
    }
}
