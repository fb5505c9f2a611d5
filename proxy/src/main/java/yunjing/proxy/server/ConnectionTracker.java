package yunjing.proxy.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import yunjing.proxy.metrics.ProxyMetrics;

/** Counts open client connections and keeps them in a group so that a stopping node can close them. */
@ChannelHandler.Sharable
final class ConnectionTracker extends ChannelInboundHandlerAdapter {

    private final ProxyMetrics metrics;
    private final ChannelGroup open;

    ConnectionTracker(ProxyMetrics metrics, ChannelGroup open) {
        this.metrics = metrics;
        this.open = open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.connectionOpened();
        open.add(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.connectionClosed();
        ctx.fireChannelInactive();
    }
}
