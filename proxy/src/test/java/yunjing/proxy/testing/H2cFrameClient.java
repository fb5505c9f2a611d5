package yunjing.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import yunjing.common.net.EventLoops;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An h2c client (prior knowledge) that shows a response as the frames it came in: the HEADERS frames
 * with their fields in order and END_STREAM flags, the DATA frames' bytes and flags, or the RST_STREAM
 * code. For comparing two ways the server may answer at the frame level. The stream receive window is a
 * parameter (a small one keeps a response from fitting it).
 */
public final class H2cFrameClient implements AutoCloseable {

    /** One HEADERS frame: its fields in order, and whether it ended the stream. */
    public record Headers(List<Map.Entry<String, String>> fields, boolean endStream) {
        public String get(String name) {
            return fields.stream().filter(f -> f.getKey().equals(name)).map(Map.Entry::getValue).findFirst().orElse(null);
        }
    }

    /**
     * A stream's response: its HEADERS frames, the body, one END_STREAM flag per DATA frame, and the
     * RST_STREAM error code when the server reset the stream (else -1).
     */
    public record Response(List<Headers> headers, byte[] body, List<Boolean> dataEndStream, long resetCode) {
        public Headers head() {
            return headers.getFirst();
        }
    }

    private final Channel connection;

    public H2cFrameClient(EventLoops loops, InetSocketAddress server, int streamWindow) throws InterruptedException {
        connection = new Bootstrap()
                .group(loops.group())
                .channel(loops.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                        .initialSettings(Http2Settings.defaultSettings().initialWindowSize(streamWindow))
                                        .build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                })
                .connect(server).sync().channel();
    }

    /** A request head: {@code :method}, {@code :path}, {@code :scheme} http, {@code :authority}, then {@code fields}. */
    public static Http2Headers request(String method, String path, String authority, String... fields) {
        Http2Headers headers = new DefaultHttp2Headers().method(method).path(path).scheme("http").authority(authority);
        for (int i = 0; i < fields.length; i += 2) {
            headers.add(fields[i], fields[i + 1]);
        }
        return headers;
    }

    /** Sends {@code headers}, then {@code body} (ending the stream) unless it is null (then HEADERS ends it). */
    public CompletableFuture<Response> send(Http2Headers headers, byte[] body) throws InterruptedException {
        return send(headers, body, false);
    }

    /**
     * As {@link #send(Http2Headers, byte[])}; with {@code resetAfter}, an RST_STREAM (CANCEL) follows the
     * request in the same write, before any answer can have arrived (the future then completes when the
     * stream closes).
     */
    public CompletableFuture<Response> send(Http2Headers headers, byte[] body, boolean resetAfter)
            throws InterruptedException {
        CompletableFuture<Response> result = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new Collector(result))
                .open().sync().getNow();
        stream.write(new DefaultHttp2HeadersFrame(headers, body == null));
        if (body != null) {
            stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
        }
        if (resetAfter) {
            stream.write(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        }
        stream.flush();
        return result;
    }

    /** Stops (false) or resumes (true) reading the connection, so that the server's writes back up. */
    public void reading(boolean on) {
        connection.config().setAutoRead(on);
    }

    public boolean isOpen() {
        return connection.isActive();
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly();
    }

    private static final class Collector extends ChannelInboundHandlerAdapter {
        private final CompletableFuture<Response> result;
        private final List<Headers> headers = new ArrayList<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final List<Boolean> dataEndStream = new ArrayList<>();
        private long resetCode = -1;

        Collector(CompletableFuture<Response> result) {
            this.result = result;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                boolean end = false;
                if (msg instanceof Http2HeadersFrame frame) {
                    List<Map.Entry<String, String>> fields = new ArrayList<>();
                    frame.headers().forEach(f -> fields.add(Map.entry(f.getKey().toString(), f.getValue().toString())));
                    headers.add(new Headers(fields, frame.isEndStream()));
                    end = frame.isEndStream();
                } else if (msg instanceof Http2DataFrame frame) {
                    body.writeBytes(ByteBufUtil.getBytes(frame.content()));
                    dataEndStream.add(frame.isEndStream());
                    end = frame.isEndStream();
                }
                if (end) {
                    complete();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame reset) {
                resetCode = reset.errorCode();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            complete();
        }

        private void complete() {
            result.complete(new Response(List.copyOf(headers), body.toByteArray(), List.copyOf(dataEndStream), resetCode));
        }
    }
}
