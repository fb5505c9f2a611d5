package yunjing.proxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamListener;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One cache hit answered as frames on the h2 connection itself, for {@link Http2CacheHits}: what
 * {@link ProxyHandler} and {@code Http2StreamFrameToHttpObjectCodec} in a stream's child channel would
 * write, without the child channel. The head gets the same finishing ({@link ClientResponseHead}) and the
 * same HTTP-to-h2 conversion ({@link HttpConversionUtil#toHttp2Headers}); every content becomes one DATA
 * frame, the last one with END_STREAM (an empty one after a bodiless head, as the stream codec sends);
 * the metrics and the access log count it as that path does.
 *
 * <p>The cache calls it inline ({@code HttpCache.serveCompleteHit}), on the connection's event loop.
 * Contents handed in are owned here and pass to the connection with the DATA frame.
 */
final class Http2Hit implements UpstreamListener {

    private static final Logger log = Logger.getLogger(Http2Hit.class.getName());

    private final ChannelHandlerContext ctx;
    private final Http2FrameStream stream;
    private final Forwarding forwarding;
    private final boolean tls;
    private final String requestId;
    private final HttpMethod method;
    private final HttpVersion clientVersion;
    private final ExchangeRecord record;
    private boolean headSent;
    private boolean ended;

    /** @param ctx the context of the handler that writes, between the frame codec and the multiplexer */
    Http2Hit(ChannelHandlerContext ctx, Http2FrameStream stream, Forwarding forwarding, boolean tls,
            String requestId, HttpMethod method, HttpVersion clientVersion, ExchangeRecord record) {
        this.ctx = ctx;
        this.stream = stream;
        this.forwarding = forwarding;
        this.tls = tls;
        this.requestId = requestId;
        this.method = method;
        this.clientVersion = clientVersion;
        this.record = record;
    }

    @Override
    public void onInformational(HttpResponse response) {
        // A stored response has none.
    }

    @Override
    public void onResponseHead(HttpResponse response) {
        ClientResponseHead.prepare(response, forwarding.nodeId(), requestId, false, method, clientVersion);
        int code = response.status().code();
        forwarding.metrics().response(code);
        record.responseHead(code, response.headers(), forwarding.nodeId());
        headSent = true;
        // Not validated again: the stored fields were checked when received, the rest is the proxy's own
        // (the stream codec's validation never rejects such a head, so the fields are the same).
        ctx.write(new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(response, false), false).stream(stream));
    }

    @Override
    public void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        record.body(content.content().readableBytes());
        // The content's buffer goes out with the frame (the stream codec retains it and releases the content).
        ctx.write(new DefaultHttp2DataFrame(content.content(), last).stream(stream));
        if (last) {
            // No flush: this runs inside a read of the connection, and the frame codec flushes (DATA frames
            // leave its flow controller) when the read completes, once for every stream answered in it.
            end("ok");
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        // The request has no body.
    }

    /**
     * Not reached for a complete entry in memory (what the fast path takes), but handled as the child path
     * handles a response that breaks off: the stream is reset (what closing a child channel sends).
     */
    @Override
    public void onFailure(UpstreamException cause) {
        if (ended) {
            return;
        }
        log.log(Level.FINE, () -> forwarding.nodeId() + " request " + requestId + " failed: " + cause.getMessage());
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(stream));
        end(headSent ? "broken" : "aborted");
    }

    private void end(String outcome) {
        ended = true;
        record.end(forwarding, ctx.channel().remoteAddress(), tls, true, clientVersion, null, null, outcome);
    }
}
