package yunjing.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.ScheduledFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last handler of a parent connection: hands what the parent sends to the exchange currently
 * using the connection, and reports closes and writability changes to it. Runs on the channel's loop.
 *
 * <p>States: <em>busy</em> (an exchange is attached), <em>idle</em> (parked in {@link IdleConnections}),
 * <em>closed</em>.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = Logger.getLogger(UpstreamHandler.class.getName());

    private final IdleConnections idle;
    private UpstreamExchange exchange;   // while busy
    private String idleParentId;         // while idle
    private ScheduledFuture<?> idleTimer; // while idle

    UpstreamHandler(IdleConnections idle) {
        this.idle = idle;
    }

    void attach(UpstreamExchange exchange) {
        this.exchange = exchange;
    }

    void detach(UpstreamExchange exchange) {
        if (this.exchange == exchange) {
            this.exchange = null;
        }
    }

    void enterIdle(String parentId, ScheduledFuture<?> timer) {
        idleParentId = parentId;
        idleTimer = timer;
    }

    void leaveIdle() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        idleTimer = null;
        idleParentId = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Ownership of msg passes to the exchange; with none attached the bytes are unexpected (a parent
        // may not answer a request nobody sent) and the connection cannot be trusted any more.
        if (exchange != null) {
            exchange.onResponseObject(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    /**
     * On an h2 stream: a RST_STREAM with REFUSED_STREAM, or a GOAWAY (the multiplexer passes it only to
     * the streams above its last stream id), means the parent did not process the request (RFC 9113 §8.7).
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        try {
            if (exchange != null && evt instanceof Http2ResetFrame reset
                    && reset.errorCode() == Http2Error.REFUSED_STREAM.code()) {
                exchange.onStreamNotProcessed("refused_stream");
            } else if (exchange != null && evt instanceof Http2GoAwayFrame) {
                exchange.onStreamNotProcessed("goaway");
            }
        } finally {
            ReferenceCountUtil.release(evt);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onChannelWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleParentId != null) {
            idle.remove(ctx.channel(), idleParentId);
            leaveIdle();
        }
        UpstreamExchange current = exchange;
        exchange = null;
        if (current != null) {
            current.onChannelClosed(ctx.channel());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The close that follows tells the exchange; the cause is only worth a line in the log.
        log.log(Level.FINE, "parent connection " + ctx.channel() + " failed", cause);
        ctx.close();
    }
}
