package yunjing.proxy.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.llm.ApiRequests;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers h2 cache hits on the connection itself, without the child channel and pipeline that
 * {@code Http2MultiplexHandler} makes for every stream (the cost that made h2c hits twice as expensive as
 * HTTP/1.1 ones). Sits between the frame codec and the multiplexer.
 *
 * <h2>How a stream goes</h2>
 * The multiplexer makes a stream's child channel on the stream's state event, which the codec fires just
 * before the stream's first HEADERS frame. That event is held here (<em>waiting</em>) until the HEADERS
 * frame arrives. When the HEADERS ends the stream, is a GET or HEAD, and the cache holds a complete, fresh
 * entry for it in memory whose body fits the stream's and the connection's send windows as they stand
 * (DATA still goes through the codec's flow controller, which may queue it behind other streams' frames
 * until the client returns window) while the connection is writable, the response is written here
 * as frames ({@link Http2Hit}) and the stream is <em>served</em>: every later event, frame and stream
 * error of it stays here (a stream error is answered with RST_STREAM, as its child channel would). Any
 * other request (a miss, a body, an API call, a bad request, too big for the window) gets the held event
 * and then its HEADERS frame passed on unchanged: the multiplexer and {@link ProxyHandler} handle it as
 * before. The requests are parsed for the check the way the stream codec parses them.
 *
 * <h2>Served streams and the multiplexer</h2>
 * A served stream stays active (in the codec) until its last frame has been written to the socket, and
 * the multiplexer, on some connection-wide events (the connection becoming writable, input or output
 * shut down, TLS close_notify), visits every active stream expecting a child channel. Those events are
 * held while any served stream is active and passed on, in order, once the last one has closed.
 *
 * <p>One per connection; confined to its event loop.
 */
final class Http2CacheHits extends ChannelInboundHandlerAdapter {

    private final Forwarding forwarding;
    private final boolean tls;
    private final UpstreamHeads upstreamHeads;
    /** Streams whose state event is held until their HEADERS frame arrives. */
    private final Map<Http2FrameStream, Http2FrameStreamEvent> waiting = new IdentityHashMap<>();
    /** Streams answered here that are still active. */
    private final Set<Http2FrameStream> served = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Connection-wide events held while a served stream is active ({@link #WRITABLE} for a writability change). */
    private final List<Object> heldForServed = new ArrayList<>(2);
    private Http2Connection connection;

    private static final Object WRITABLE = new Object();

    /** @param scheme {@code http} or {@code https}: what the client used, as for {@link ProxyHandler} */
    Http2CacheHits(Forwarding forwarding, String scheme) {
        this.forwarding = forwarding;
        this.tls = scheme.equals("https");
        this.upstreamHeads = new UpstreamHeads(forwarding, scheme, true);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2FrameStreamEvent event) {
            Http2FrameStream stream = event.stream();
            boolean closed = stream.state() == Http2Stream.State.CLOSED;
            if (served.contains(stream)) {
                if (closed) {
                    servedClosed(ctx, stream);
                }
                return;
            }
            if (waiting.containsKey(stream)) {
                if (closed) {
                    // Closed before its HEADERS frame was passed on: no child channel needed.
                    waiting.remove(stream);
                    ctx.fireUserEventTriggered(event);
                }
                return;
            }
            if (event.type() == Http2FrameStreamEvent.Type.State && opensInbound(stream)) {
                waiting.put(stream, event);
                return;
            }
        } else if (!served.isEmpty() && (evt == ChannelInputShutdownReadComplete.INSTANCE
                || evt == ChannelOutputShutdownEvent.INSTANCE || evt == SslCloseCompletionEvent.SUCCESS)) {
            hold(evt);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** A stream the client opened, about to get its HEADERS (odd ids are the client's, RFC 9113 §5.1.1). */
    private static boolean opensInbound(Http2FrameStream stream) {
        Http2Stream.State state = stream.state();
        return (stream.id() & 1) == 1 && (state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2StreamFrame frame && frame.stream() != null) {
            Http2FrameStream stream = frame.stream();
            if (served.contains(stream)) {
                // After END_STREAM the client may still reset the stream or update its window: nothing to do.
                ReferenceCountUtil.release(msg);
                return;
            }
            Http2FrameStreamEvent held = waiting.remove(stream);
            if (held != null) {
                if (frame instanceof Http2HeadersFrame headers && answer(ctx, headers)) {
                    return;
                }
                ctx.fireUserEventTriggered(held);
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!served.isEmpty() && ctx.channel().isWritable()) {
            hold(WRITABLE);
            return;
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException streamError) {
            Http2FrameStream stream = streamError.stream();
            if (served.contains(stream)) {
                // The codec leaves the reset to the stream's owner (RFC 9113 §5.4.2).
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(streamError.error()).stream(stream));
                return;
            }
            Http2FrameStreamEvent held = waiting.remove(stream);
            if (held != null) {
                ctx.fireUserEventTriggered(held);   // the multiplexer hands the error to the stream's child
            }
        }
        ctx.fireExceptionCaught(cause);
    }

    /** Each kind of event once: the multiplexer needs to see that it happened, not how often. */
    private void hold(Object event) {
        if (!heldForServed.contains(event)) {
            heldForServed.add(event);
        }
    }

    private void servedClosed(ChannelHandlerContext ctx, Http2FrameStream stream) {
        served.remove(stream);
        if (!served.isEmpty() || heldForServed.isEmpty()) {
            return;
        }
        List<Object> events = List.copyOf(heldForServed);
        heldForServed.clear();
        for (Object event : events) {
            if (event == WRITABLE) {
                if (ctx.channel().isWritable()) {
                    ctx.fireChannelWritabilityChanged();
                }
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }
    }

    /** Answers the request of {@code frame} here if it is a complete cache hit; false to pass it on. */
    private boolean answer(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        Http2Headers h2 = frame.headers();
        CharSequence method = h2.method();
        if (!frame.isEndStream() || method == null || !ctx.channel().isWritable()
                || !(HttpMethod.GET.asciiName().contentEquals(method) || HttpMethod.HEAD.asciiName().contentEquals(method))) {
            return false;
        }
        Http2FrameStream stream = frame.stream();
        long window = sendWindow(ctx, stream);
        if (window <= 0) {
            return false;
        }
        FullHttpRequest request;
        try {
            // As the stream codec parses it (Http2StreamFrameToHttpObjectCodec), without a body buffer.
            request = HttpConversionUtil.toFullHttpRequest(stream.id(), h2, Unpooled.EMPTY_BUFFER, true);
        } catch (Http2Exception | RuntimeException e) {
            return false;   // the stream codec refuses it the same way on the usual path
        }
        String requestId = ProxyHeaders.requestId(request.headers());
        ExchangeRecord record = new ExchangeRecord(requestId, request);
        HttpRequest head;
        try {
            head = upstreamHeads.of(request, requestId, ctx.channel().remoteAddress());
        } catch (BadRequestException e) {
            return false;   // refused with its error response on the usual path
        }
        if (ApiRequests.isApi(head.uri())) {
            return false;   // keys, plans and usage are the API edge's (ProxyHandler)
        }
        record.forwarded(head.headers());
        Http2Hit hit = new Http2Hit(ctx, stream, forwarding, tls, requestId, request.method(),
                request.protocolVersion(), record);
        served.add(stream);
        if (!forwarding.cache().serveCompleteHit(head, ctx.channel().eventLoop(), hit, window)) {
            served.remove(stream);
            return false;
        }
        forwarding.metrics().h2ConnectionHit();
        if (stream.state() == Http2Stream.State.CLOSED) {
            servedClosed(ctx, stream);   // written and closed at once (the connection went away)
        }
        return true;
    }

    /** Bytes the stream may send now: the smaller of its own and the connection's send windows. */
    private long sendWindow(ChannelHandlerContext ctx, Http2FrameStream frameStream) {
        if (connection == null) {
            connection = ctx.pipeline().get(Http2FrameCodec.class).connection();
        }
        Http2Stream stream = connection.stream(frameStream.id());
        if (stream == null) {
            return 0;
        }
        Http2RemoteFlowController flow = connection.remote().flowController();
        return Math.min(flow.windowSize(stream), flow.windowSize(connection.connectionStream()));
    }
}
