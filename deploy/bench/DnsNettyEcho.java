import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;

import java.net.InetSocketAddress;

/**
 * A reference point for deploy/bench/dns-vs-gdnsd.sh: what a JVM answering over Netty's epoll
 * datagram channel costs before any DNS work. The same socket options as yunjing's DnsListeners
 * (SO_REUSEPORT, recvmmsg batches of 16 datagrams of up to 4 KiB, one flush per read), and each datagram sent back
 * as it came with QR set, copied to an array as DnsUdpHandler does.
 *
 *   java -cp 'deploy/target/lib/*' deploy/bench/DnsNettyEcho.java PORT THREADS
 */
public final class DnsNettyEcho {

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
        Bootstrap b = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .option(EpollChannelOption.SO_REUSEPORT, true)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 4096)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(4096 * 16))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        byte[] message = ByteBufUtil.getBytes(packet.content());
                        if (message.length > 2) {
                            message[2] |= (byte) 0x80; // QR: a response
                        }
                        ctx.write(new DatagramPacket(Unpooled.wrappedBuffer(message), packet.sender()), ctx.voidPromise());
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        ctx.flush();
                    }
                });
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        for (int i = 0; i < threads; i++) {
            b.bind(address).sync();
        }
        Thread.currentThread().join(); // until killed
    }
}
