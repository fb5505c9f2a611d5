package yunjing.deploy.run;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import yunjing.common.net.EventLoops;
import yunjing.sync.serve.ArtifactService;
import yunjing.sync.store.ArtifactStore;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A standalone HTTP/1.1 server for an artifact store ({@code yunjing sync serve}): every request
 * goes to sync's artifact handler except {@code GET /readyz}, answered 200 so that a
 * {@code yunjing proxy} in front can health-check it. Used by the sync benchmark.
 */
public final class ArtifactServer implements AutoCloseable {

    private final ArtifactService service;
    private final Channel channel;

    private ArtifactServer(ArtifactService service, Channel channel) {
        this.service = service;
        this.channel = channel;
    }

    public static ArtifactServer start(ArtifactStore store, InetSocketAddress bind, EventLoops loops)
            throws BindException, InterruptedException {
        ArtifactService service = new ArtifactService(store);
        var bound = new ServerBootstrap().group(loops.group()).channel(loops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                service.newHandler(ArtifactServer::notReadyz),
                                new HttpObjectAggregator(8192), new ReadyzHandler());
                    }
                })
                .bind(bind).await();
        if (!bound.isSuccess()) {
            service.close();
            BindException e = new BindException("cannot listen on " + bind + ": " + bound.cause().getMessage());
            e.initCause(bound.cause());
            throw e;
        }
        return new ArtifactServer(service, bound.channel());
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    private static boolean notReadyz(HttpRequest request) {
        return !request.uri().equals("/readyz");
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        service.close();
    }

    private static final class ReadyzHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            byte[] body = "ready\n".getBytes(StandardCharsets.US_ASCII);
            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length).set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }
}
