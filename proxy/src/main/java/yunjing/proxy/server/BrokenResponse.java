package yunjing.proxy.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import yunjing.proxy.http.ErrorResponses;
import yunjing.proxy.upstream.UpstreamException;

/**
 * Ends a response that already started when its upstream fails (the status line is out, so no error
 * status can be sent any more).
 * <ul>
 *   <li>A server-sent event stream of unknown length (an LLM answer being streamed) gets a last event
 *       {@code data: {"error":{"message","type":"upstream_error","code"}}} and its proper end, so the
 *       client learns why the answer stops instead of seeing a bare disconnect; an HTTP/1.1 connection
 *       is closed after it (an HTTP/2 stream just ends).</li>
 *   <li>Anything else is cut off: only an abrupt close tells the client the body is incomplete
 *       (RFC 9112 §8 for HTTP/1.1; for an h2 stream, closing the child channel sends RST_STREAM).</li>
 * </ul>
 */
final class BrokenResponse {

    private BrokenResponse() {
    }

    /** Whether a response head announces an event stream whose end the proxy may still write. */
    static boolean isOpenEventStream(HttpHeaders headers, boolean lengthKnown) {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return !lengthKnown && type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    static void end(ChannelHandlerContext ctx, boolean eventStream, boolean http2, UpstreamException cause,
            String message) {
        if (!eventStream) {
            ctx.channel().close();
            return;
        }
        var event = new DefaultLastHttpContent(ErrorResponses.sseErrorEvent(ctx.alloc(), message, "upstream_error",
                cause.isTimeout() ? "gateway_timeout" : "bad_gateway"));
        var written = ctx.writeAndFlush(event);
        if (!http2) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
