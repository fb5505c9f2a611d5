package yunjing.origin;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import yunjing.common.net.EventLoops;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An HTTP/2 client with prior knowledge (RFC 9113 §3.3): opens the TCP connection and speaks HTTP/2 at once,
 * no upgrade. Each exchange is one stream; received DATA frames are kept one string per frame.
 */
final class H2cClient implements AutoCloseable {

    private final Channel connection;

    /** One stream's response as it arrives. */
    static final class Exchange {
        final CompletableFuture<Http2Headers> headers = new CompletableFuture<>();
        final List<String> dataFrames = new CopyOnWriteArrayList<>();
        final BlockingQueue<String> dataQueue = new LinkedBlockingQueue<>();
        final CompletableFuture<String> body = new CompletableFuture<>();
        Http2StreamChannel stream;

        String status() throws Exception {
            return headers.get(10, java.util.concurrent.TimeUnit.SECONDS).status().toString();
        }
    }

    H2cClient(InetSocketAddress address, EventLoops loops) throws InterruptedException {
        connection = new Bootstrap().group(loops.group()).channel(loops.socketChannel())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                new Http2MultiplexHandler(new NoPush()));
                    }
                })
                .connect(address).sync().channel();
    }

    @ChannelHandler.Sharable
    private static final class NoPush extends ChannelInboundHandlerAdapter {}

    Exchange send(String method, String path, String jsonBody) throws InterruptedException {
        Exchange ex = new Exchange();
        StringBuilder body = new StringBuilder();
        ex.stream = new Http2StreamChannelBootstrap(connection).handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                boolean end = false;
                if (frame instanceof Http2HeadersFrame h) {
                    ex.headers.complete(h.headers());
                    end = h.isEndStream();
                } else if (frame instanceof Http2DataFrame d) {
                    String s = d.content().toString(StandardCharsets.UTF_8);
                    if (!s.isEmpty()) {
                        ex.dataFrames.add(s);
                        ex.dataQueue.add(s);
                    }
                    body.append(s);
                    end = d.isEndStream();
                }
                if (end) {
                    ex.body.complete(body.toString());
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                ex.body.completeExceptionally(new IllegalStateException("stream closed before end"));
                ex.headers.completeExceptionally(new IllegalStateException("stream closed before headers"));
            }
        }).open().sync().getNow();
        Http2Headers headers = new DefaultHttp2Headers().method(method).path(path).scheme("http")
                .authority("origin.test");
        if (jsonBody == null) {
            ex.stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true));
        } else {
            headers.set("content-type", "application/json");
            ex.stream.write(new DefaultHttp2HeadersFrame(headers, false));
            ex.stream.writeAndFlush(new DefaultHttp2DataFrame(
                    Unpooled.copiedBuffer(jsonBody, StandardCharsets.UTF_8), true));
        }
        return ex;
    }

    @Override
    public void close() {
        connection.close().syncUninterruptibly();
    }
}
