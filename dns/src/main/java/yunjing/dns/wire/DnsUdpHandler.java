package yunjing.dns.wire;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

import java.lang.System.Logger.Level;

/**
 * Answers UDP queries, one datagram in, at most one out. Runs on the datagram channel's event loop;
 * the optional {@link ResponseRateLimiter} of the {@link LiveProtection} is shared by the sockets.
 *
 * <p>Buffer ownership: the inbound packet is released by {@link SimpleChannelInboundHandler} after
 * {@link #channelRead0}; the response wraps a fresh array whose ownership passes to the write.
 * When the socket's send buffer is full the answer is dropped rather than queued: memory stays
 * bounded under floods, and a resolver simply retries.
 */
final class DnsUdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final System.Logger LOG = System.getLogger(DnsUdpHandler.class.getName());

    private final QueryProcessor processor;
    private final QueryMetrics metrics;
    private final LiveProtection protection;

    DnsUdpHandler(QueryProcessor processor, QueryMetrics metrics) {
        this(processor, metrics, new LiveProtection(Protection.DEFAULT));
    }

    DnsUdpHandler(QueryProcessor processor, QueryMetrics metrics, LiveProtection protection) {
        this.processor = processor;
        this.metrics = metrics;
        this.protection = protection;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        byte[] response = processor.process(ByteBufUtil.getBytes(packet.content()), Transport.UDP, packet.sender());
        if (response == null) {
            return;
        }
        ResponseRateLimiter limiter = protection.limiter();
        if (limiter != null) {
            switch (limiter.check(packet.sender().getAddress(), System.nanoTime())) {
                case SEND -> { }
                case DROP -> {
                    metrics.dropped("rate-limit");
                    return;
                }
                case SLIP -> {
                    response = QueryProcessor.slip(response);
                    if (response == null) {
                        metrics.dropped("rate-limit");
                        return;
                    }
                    metrics.slipped();
                }
            }
        }
        if (!ctx.channel().isWritable()) {
            metrics.dropped("backlog");
            return;
        }
        ctx.write(new DatagramPacket(Unpooled.wrappedBuffer(response), packet.sender()), ctx.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A UDP socket is shared by all clients: log and keep serving (e.g. ICMP port unreachable).
        LOG.log(Level.DEBUG, "udp: " + cause);
    }
}
