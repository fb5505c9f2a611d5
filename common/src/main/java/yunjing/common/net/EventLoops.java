package yunjing.common.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * The event loops and matching channel classes every role runs on: native epoll when
 * {@link Epoll#isAvailable()}, NIO otherwise. One instance may be shared by several roles
 * (the local cluster runs seven nodes on one machine without seven thread pools).
 */
public record EventLoops(
        EventLoopGroup group,
        Class<? extends ServerSocketChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel,
        Class<? extends DatagramChannel> datagramChannel,
        String transport) implements AutoCloseable {

    /** Creates {@code threads} event loops (0 = Netty's default of 2 × cores), preferring epoll. */
    public static EventLoops create(int threads, String name) {
        boolean epoll = Epoll.isAvailable() && !Boolean.getBoolean("yunjing.forceNio");
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
        return epoll
                ? new EventLoops(group, EpollServerSocketChannel.class, EpollSocketChannel.class,
                        EpollDatagramChannel.class, "epoll")
                : new EventLoops(group, NioServerSocketChannel.class, NioSocketChannel.class,
                        NioDatagramChannel.class, "nio");
    }

    /** Why native epoll is not in use, or null when it is. */
    public Throwable epollUnavailabilityCause() {
        return Epoll.unavailabilityCause();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
