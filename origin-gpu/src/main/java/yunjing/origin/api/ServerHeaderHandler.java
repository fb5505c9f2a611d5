package yunjing.origin.api;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Stamps {@code Server: yunjing-origin/<nodeId>} on every response leaving the pipeline, including those Netty's
 * own handlers write (413 from the aggregator, 100 Continue). Operators read it to see that a response really
 * reached the origin and not a cache tier.
 */
@ChannelHandler.Sharable
final class ServerHeaderHandler extends ChannelOutboundHandlerAdapter {

    private final String value;

    ServerHeaderHandler(String value) {
        this.value = value;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            response.headers().set(HttpHeaderNames.SERVER, value);
        }
        ctx.write(msg, promise);
    }
}
