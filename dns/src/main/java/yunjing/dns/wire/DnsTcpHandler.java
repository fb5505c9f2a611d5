package yunjing.dns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateEvent;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;

/**
 * Answers the queries of one TCP connection, already de-framed by the pipeline's 2-byte length
 * decoder (RFC 1035 section 4.2.2). Queries are answered in arrival order and flushed once per
 * read batch, so pipelined queries (RFC 7766 section 6.2.1.1) go out together.
 *
 * <p>Backpressure: when the outbound buffer passes its high-water mark, reading stops until it
 * drains, so a client that sends without reading cannot grow our memory. Idle connections close
 * (RFC 7766 section 6.2.3). A packet we cannot answer at all (shorter than a header, or a
 * response) closes the connection: the stream cannot be trusted after it.
 *
 * <p>Buffer ownership: frames are released by {@link SimpleChannelInboundHandler}; responses wrap
 * fresh arrays whose ownership passes to the write. Runs on the connection's event loop.
 */
final class DnsTcpHandler extends SimpleChannelInboundHandler<ByteBuf> {

    private static final System.Logger LOG = System.getLogger(DnsTcpHandler.class.getName());

    private final QueryProcessor processor;

    DnsTcpHandler(QueryProcessor processor) {
        this.processor = processor;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        InetSocketAddress source = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
        byte[] response = processor.process(ByteBufUtil.getBytes(frame), Transport.TCP, source);
        if (response == null) {
            ctx.close();
            return;
        }
        ctx.write(Unpooled.wrappedBuffer(response));
        if (!ctx.channel().isWritable()) {
            ctx.flush();
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.DEBUG, "tcp " + ctx.channel().remoteAddress() + ": " + cause);
        ctx.close();
    }
}
