package yunjing.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a multiplexed h2c connection to a parent (after the frame codec and the
 * multiplexer, so it sees the connection-level frames): keeps what the pool needs to know.
 * <ul>
 *   <li>SETTINGS: the parent's {@code MAX_CONCURRENT_STREAMS} (RFC 9113 §6.5.2); and that the parent
 *       speaks h2 at all — a connection that closes before its first SETTINGS is a parent without h2,
 *       which then gets HTTP/1.1 (the fallback);</li>
 *   <li>GOAWAY (§6.8): no new streams here; the multiplexer closes the streams above its last stream id,
 *       which the parent did not process, and their exchanges retry them elsewhere;</li>
 *   <li>PING keep-alive (§6.7): after {@link Http2Pool#PING_IDLE_SECONDS} without a frame a PING goes out;
 *       a connection still silent one period later is dead and closed.</li>
 * </ul>
 * Runs on the connection's event loop.
 */
final class Http2ParentConnection extends ChannelInboundHandlerAdapter {

    /** Set on a connection once the parent's SETTINGS arrived. */
    static final AttributeKey<Boolean> SETTINGS_SEEN = AttributeKey.valueOf("yunjing.h2.settingsSeen");

    private final String parentId;
    private final Channel channel;
    private final Http2Pool pool;
    private long maxStreams = Http2Pool.DEFAULT_MAX_STREAMS;
    private int openStreams;
    private boolean goingAway;
    private boolean pingOutstanding;

    Http2ParentConnection(String parentId, Channel channel, Http2Pool pool) {
        this.parentId = parentId;
        this.channel = channel;
        this.pool = pool;
    }

    Channel channel() {
        return channel;
    }

    /** Whether a new stream may open here now. */
    boolean hasRoom() {
        return channel.isActive() && !goingAway && openStreams < maxStreams;
    }

    void streamOpened() {
        openStreams++;
    }

    void streamClosed() {
        openStreams--;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            pingOutstanding = false;   // any frame, the PING's ack included, shows the connection is alive
            if (msg instanceof Http2SettingsFrame settings) {
                channel.attr(SETTINGS_SEEN).set(Boolean.TRUE);
                Long max = settings.settings().maxConcurrentStreams();
                if (max != null) {
                    maxStreams = Math.min(max, Http2Pool.DEFAULT_MAX_STREAMS);
                }
            } else if (msg instanceof Http2GoAwayFrame) {
                goingAway = true;
                pool.forget(this, parentId);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (pingOutstanding) {
                ctx.close();
            } else {
                pingOutstanding = true;
                ctx.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
            }
            return;
        }
        ReferenceCountUtil.release(evt);   // codec events (preface written, …) end here
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.forget(this, parentId);
        if (channel.attr(SETTINGS_SEEN).get() == null) {
            pool.noHttp2(parentId);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
