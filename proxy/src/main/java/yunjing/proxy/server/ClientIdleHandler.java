package yunjing.proxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection on which nothing was read or written for the configured time: idle
 * keep-alive connections, clients that stopped sending or reading (output progress counts as activity,
 * so a slow reader that still takes bytes is kept), and exchanges with no byte either way for that long.
 * One per client connection (h1 or h2: it sits below the protocol handlers); runs on its event loop.
 */
final class ClientIdleHandler extends IdleStateHandler {

    ClientIdleHandler(Duration timeout) {
        super(true, 0, 0, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        ctx.close();
    }
}
