package yunjing.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.channel.ChannelInboundHandlerAdapter;
import yunjing.common.net.EventLoops;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A minimal HTTP/2 client speaking h2c with prior knowledge (RFC 9113 §3.3), which the JDK client cannot.
 * Each request is one stream; the response is collected as status, headers and body text.
 */
public final class H2cClient implements AutoCloseable {

    /** A response as received on one stream. */
    public record Response(int status, HttpHeaders headers, String body) {
    }

    private final Channel connection;

    public H2cClient(EventLoops loops, InetSocketAddress server) throws InterruptedException {
        connection = new Bootstrap()
                .group(loops.group())
                .channel(loops.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                })
                .connect(server).sync().channel();
    }

    /** Sends a bodiless request; {@code onChunk} sees each body piece as it arrives (may be null). */
    public CompletableFuture<Response> send(HttpMethod method, String path, String authority,
            Consumer<String> onChunk) throws InterruptedException {
        CompletableFuture<Response> result = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                                new Collector(result, onChunk));
                    }
                })
                .open().sync().getNow();
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path);
        request.headers().set(HttpHeaderNames.HOST, authority);
        stream.writeAndFlush(request);
        streams.add(stream);
        return result;
    }

    private final List<Http2StreamChannel> streams = new CopyOnWriteArrayList<>();

    /** Resets every open stream (RST_STREAM CANCEL), as a client giving up does. */
    public void resetStreams() {
        streams.forEach(Http2StreamChannel::close);
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly();
    }

    private static final class Collector extends SimpleChannelInboundHandler<HttpObject> {
        private final CompletableFuture<Response> result;
        private final Consumer<String> onChunk;
        private final StringBuilder body = new StringBuilder();
        private HttpResponse head;

        Collector(CompletableFuture<Response> result, Consumer<String> onChunk) {
            this.result = result;
            this.onChunk = onChunk;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                head = response;
            }
            if (msg instanceof HttpContent content) { // released by SimpleChannelInboundHandler
                String chunk = content.content().toString(StandardCharsets.UTF_8);
                body.append(chunk);
                if (onChunk != null && !chunk.isEmpty()) {
                    onChunk.accept(chunk);
                }
                if (msg instanceof LastHttpContent) {
                    result.complete(new Response(head.status().code(), head.headers(), body.toString()));
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IllegalStateException("stream closed before the response ended"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
            ctx.close();
        }
    }
}
