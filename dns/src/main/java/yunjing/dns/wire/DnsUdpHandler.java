package yunjing.dns.wire;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

import java.lang.System.Logger.Level;

/**
 * Answers UDP queries over Netty's datagram channel, one datagram in, at most one out (the answer
 * itself, rate limiting included, is {@link DatagramAnswerer}'s). Runs on the channel's event loop;
 * used where the batched native I/O of {@link MmsgUdpListener} is unavailable.
 *
 * <p>Buffer ownership: the inbound packet is released by {@link SimpleChannelInboundHandler} after
 * {@link #channelRead0}; the response wraps a fresh array whose ownership passes to the write.
 * When the socket's send buffer is full the answer is dropped rather than queued: memory stays
 * bounded under floods, and a resolver simply retries.
 */
final class DnsUdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final System.Logger LOG = System.getLogger(DnsUdpHandler.class.getName());

    private final DatagramAnswerer answerer;

    DnsUdpHandler(QueryProcessor processor, QueryMetrics metrics) {
        this(new DatagramAnswerer(processor, metrics, new LiveProtection(Protection.DEFAULT)));
    }

    DnsUdpHandler(DatagramAnswerer answerer) {
        this.answerer = answerer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        byte[] response = answerer.answer(ByteBufUtil.getBytes(packet.content()), packet.sender());
        if (response == null) {
            return;
        }
        if (!ctx.channel().isWritable()) {
            answerer.metrics().dropped("backlog");
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
