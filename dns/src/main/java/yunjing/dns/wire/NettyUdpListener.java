package yunjing.dns.wire;

import io.netty.channel.Channel;

import java.net.InetSocketAddress;

/** A UDP socket served by a Netty datagram channel ({@link DnsUdpHandler}) on one event loop. */
record NettyUdpListener(Channel channel) implements UdpListener {

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public boolean isActive() {
        return channel.isActive();
    }

    @Override
    public boolean onOwnThread() {
        return channel.eventLoop().inEventLoop();
    }

    @Override
    public void close(boolean await) {
        var closed = channel.close();
        if (await) {
            closed.awaitUninterruptibly();
        }
    }
}
