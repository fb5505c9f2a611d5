package yunjing.proxy.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Merges the flushes of a client connection into fewer socket writes. {@link ProxyHandler} flushes every
 * response part as it goes (so server-sent events are never held back), which for a cache hit means a head
 * and a body per response, and on an h2 connection that many per stream. Here a flush made while a read is
 * in progress waits for the end of the read ({@code channelReadComplete}), and one made outside a read (a
 * cache delivery runs as its own event loop task) waits for a flush task queued behind it: nothing waits
 * longer than the event loop's current work, and everything written is flushed before a close.
 *
 * <p>Unlike Netty's {@code FlushConsolidationHandler}, it never flushes from inside a writability change:
 * that flush can make the channel writable again before the handlers behind it have seen it become
 * unwritable, so {@link ProxyHandler} would resume a delivery and then pause it on the stale event.
 * Memory stays bounded as before: written bytes count towards the channel's water marks whether flushed or
 * not, so a delivery pauses on unwritability either way.
 *
 * <p>One per channel; confined to its event loop.
 */
final class ClientFlushes extends ChannelDuplexHandler {

    private ChannelHandlerContext ctx;
    private boolean readInProgress;
    private boolean flushPending;
    private boolean flushQueued;
    private final Runnable flushTask = () -> {
        flushQueued = false;
        if (flushPending && !readInProgress) {
            flushNow();
        }
    };

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readInProgress = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readInProgress = false;
        if (flushPending) {
            flushNow();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        flushPending = true;
        if (!readInProgress && !flushQueued) {
            flushQueued = true;
            ctx.executor().execute(flushTask);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushIfPending();
        ctx.close(promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushIfPending();
        ctx.disconnect(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        flushIfPending();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        readInProgress = false;
        ctx.fireChannelInactive();
    }

    private void flushIfPending() {
        if (flushPending) {
            flushNow();
        }
    }

    private void flushNow() {
        flushPending = false;
        ctx.flush();
    }
}
