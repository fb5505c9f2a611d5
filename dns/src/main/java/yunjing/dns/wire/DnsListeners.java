package yunjing.dns.wire;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import yunjing.common.net.EventLoops;
import yunjing.dns.answer.Responder;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The UDP and TCP listeners of one server, on the same address and port, on event loops that the
 * caller owns (closing the listeners never closes the loops).
 *
 * <p>Port 0 means "any": UDP binds first and takes an ephemeral port, then TCP binds the same
 * number. Another process may hold that TCP port already; then both are released and the pair is
 * tried again on a fresh port, a few times.
 *
 * <p>UDP on epoll: one socket per core on the same port ({@code SO_REUSEPORT}), each on its own
 * event loop, so queries are answered on every core as gdnsd's {@code udp_threads} are (the kernel
 * spreads datagrams over the sockets by the sender's address and port); the sockets share one
 * thread-safe response rate limiter. On NIO, one socket.
 *
 * <p>Protection limits are live ({@link #apply}): a reload changes rate limiting and the TCP
 * connection limit without rebinding.
 *
 * <p>Lifecycle: bound ({@link #bind}) → closed ({@link #close}, idempotent; also closes accepted
 * connections; waits for the sockets to close unless called on one of their event loops).
 */
public final class DnsListeners implements AutoCloseable {

    /** Idle TCP connections close after this long (RFC 7766 section 6.2.3 suggests seconds). */
    public static final Duration TCP_IDLE_TIMEOUT = Duration.ofSeconds(10);
    static final int BIND_ATTEMPTS = 5;
    /** Receive buffer per datagram: larger than any sane query, EDNS included. */
    static final int UDP_RECEIVE_BUFFER = 4096;
    /** Datagrams read per system call on epoll (recvmmsg). */
    static final int BATCH = 16;

    private final List<Channel> udp;
    private final int requestedUdpSockets;
    private final Channel tcp;
    private final ChannelGroup connections;
    private final LiveProtection protection;
    private final InetSocketAddress udpAddress;
    private final InetSocketAddress tcpAddress;
    private volatile boolean closed;

    private DnsListeners(List<Channel> udp, int requestedUdpSockets, Channel tcp, ChannelGroup connections,
            LiveProtection protection) {
        this.udp = List.copyOf(udp);
        this.requestedUdpSockets = requestedUdpSockets;
        this.tcp = tcp;
        this.connections = connections;
        this.protection = protection;
        this.udpAddress = (InetSocketAddress) udp.get(0).localAddress();
        this.tcpAddress = (InetSocketAddress) tcp.localAddress();
    }

    public static DnsListeners bind(InetSocketAddress address, EventLoops loops, Responder responder,
            MeterRegistry registry, Duration tcpIdleTimeout) throws BindException, InterruptedException {
        return bind(address, loops, responder, registry, tcpIdleTimeout, Protection.DEFAULT);
    }

    public static DnsListeners bind(InetSocketAddress address, EventLoops loops, Responder responder,
            MeterRegistry registry, Duration tcpIdleTimeout, Protection protection)
            throws BindException, InterruptedException {
        Objects.requireNonNull(responder, "responder");
        return bind(address, loops, () -> responder, registry, tcpIdleTimeout, protection);
    }

    /**
     * As above, answering from whatever {@code responder} returns at the time of each query, so the
     * owner can swap zone, locator and policy atomically (hot reload) without rebinding.
     */
    public static DnsListeners bind(InetSocketAddress address, EventLoops loops, Supplier<Responder> responder,
            MeterRegistry registry, Duration tcpIdleTimeout, Protection protection)
            throws BindException, InterruptedException {
        return bind(address, loops, responder, registry, tcpIdleTimeout, protection, 0);
    }

    /**
     * As above, with {@code udpSockets} UDP sockets on the port (gdnsd's {@code udp_threads}): 0 for
     * one per core. Each is served by one event loop, so there are never more than event loops.
     */
    public static DnsListeners bind(InetSocketAddress address, EventLoops loops, Supplier<Responder> responder,
            MeterRegistry registry, Duration tcpIdleTimeout, Protection protection, int udpSockets)
            throws BindException, InterruptedException {
        if (udpSockets < 0) {
            throw new IllegalArgumentException("udpSockets: " + udpSockets + " (expected: >= 0, 0 for one per core)");
        }
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(protection, "protection");
        Objects.requireNonNull(loops, "loops");
        QueryMetrics metrics = new QueryMetrics(Objects.requireNonNull(registry, "registry"));
        QueryProcessor processor = new QueryProcessor(Objects.requireNonNull(responder, "responder"), metrics);
        LiveProtection live = new LiveProtection(protection);
        int attempts = address.getPort() == 0 ? BIND_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            ChannelGroup connections = new DefaultChannelGroup("dns-tcp", GlobalEventExecutor.INSTANCE);
            List<Channel> udp = bindUdp(address, loops, processor, metrics, live, udpSockets);
            InetSocketAddress udpAddress = (InetSocketAddress) udp.get(0).localAddress();
            InetSocketAddress tcpWanted = new InetSocketAddress(address.getAddress(), udpAddress.getPort());
            try {
                Channel tcp = bindTcp(tcpWanted, loops, processor, tcpIdleTimeout, connections, live, metrics);
                return new DnsListeners(udp, udpSockets, tcp, connections, live);
            } catch (BindException | InterruptedException e) {
                udp.forEach(c -> c.close().awaitUninterruptibly());
                if (e instanceof InterruptedException || attempt >= attempts) {
                    throw e;
                }
            }
        }
    }

    private static List<Channel> bindUdp(InetSocketAddress address, EventLoops loops, QueryProcessor processor,
            QueryMetrics metrics, LiveProtection protection, int wanted) throws BindException, InterruptedException {
        boolean reusePort = "epoll".equals(loops.transport());
        int sockets = reusePort ? udpSockets(loops, wanted) : 1;
        Bootstrap b = new Bootstrap()
                .group(loops.group())
                .channel(loops.datagramChannel())
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UDP_RECEIVE_BUFFER))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new DnsUdpHandler(processor, metrics, protection)); // one per socket
                    }
                });
        if (reusePort) {
            b.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        if ("epoll".equals(loops.transport())) {
            // recvmmsg: up to BATCH datagrams per system call, each a slice of one buffer.
            b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, UDP_RECEIVE_BUFFER)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UDP_RECEIVE_BUFFER * BATCH));
        }
        List<Channel> channels = new ArrayList<>(sockets);
        try {
            channels.add(await(b.bind(address), "udp", address));
            // Port 0: the others join the port the first one got.
            InetSocketAddress bound = (InetSocketAddress) channels.get(0).localAddress();
            InetSocketAddress same = new InetSocketAddress(address.getAddress(), bound.getPort());
            while (channels.size() < sockets) {
                channels.add(await(b.bind(same), "udp", same));
            }
            return channels;
        } catch (BindException | InterruptedException | RuntimeException e) {
            channels.forEach(c -> c.close().awaitUninterruptibly());
            throw e;
        }
    }

    /**
     * {@code wanted} UDP sockets, or one per core when 0, but no more than there are event loops to
     * run them. Fewer than cores leaves cores to other work on the machine: on 2 cores shared with a
     * load generator, one socket answered 0.91× gdnsd's rate against 0.80× for two (dns/README.md).
     */
    private static int udpSockets(EventLoops loops, int wanted) {
        int executors = 0;
        for (var ignored : loops.group()) {
            executors++;
        }
        int sockets = wanted > 0 ? wanted : Runtime.getRuntime().availableProcessors();
        return Math.max(1, Math.min(sockets, executors));
    }

    /** The UDP socket count these listeners were bound for (0: one per core), as {@link #bind} was asked. */
    public int requestedUdpSockets() {
        return requestedUdpSockets;
    }

    /** How many UDP sockets share the port. */
    public int udpSockets() {
        return udp.size();
    }

    private static Channel bindTcp(InetSocketAddress address, EventLoops loops, QueryProcessor processor,
            Duration idleTimeout, ChannelGroup connections, LiveProtection protection, QueryMetrics metrics)
            throws BindException, InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                // Bounded per-connection memory: past 64 KiB queued, the handler stops reading.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new DnsTcpInitializer(processor, idleTimeout, connections, protection, metrics));
        return await(b.bind(address), "tcp", address);
    }

    /** Waits for a bind; any failure becomes a {@link BindException} that names the address. */
    private static Channel await(ChannelFuture future, String protocol, InetSocketAddress address)
            throws BindException, InterruptedException {
        future.await();
        if (future.isSuccess()) {
            return future.channel();
        }
        Throwable cause = future.cause();
        BindException e = new BindException("dns " + protocol + " " + address.getAddress().getHostAddress() + ":"
                + address.getPort() + ": " + cause.getMessage());
        e.initCause(cause);
        throw e;
    }

    /** Applies new protection limits from the next packet or accepted connection on. */
    public void apply(Protection next) {
        protection.apply(next);
    }

    public InetSocketAddress udpAddress() {
        return udpAddress;
    }

    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    /** Whether both listeners are open. */
    public boolean isActive() {
        return !closed && udp.stream().allMatch(Channel::isActive) && tcp.isActive();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Waiting on an event loop for that loop's own work would deadlock (Netty refuses it):
        // from an event loop, start the closes and return.
        boolean mayWait = udp.stream().noneMatch(c -> c.eventLoop().inEventLoop()) && !tcp.eventLoop().inEventLoop();
        List<ChannelFuture> udpClosed = udp.stream().map(Channel::close).toList();
        ChannelFuture tcpClosed = tcp.close();
        ChannelGroupFuture connectionsClosed = connections.close();
        if (mayWait) {
            udpClosed.forEach(ChannelFuture::awaitUninterruptibly);
            tcpClosed.awaitUninterruptibly();
            connectionsClosed.awaitUninterruptibly();
        }
    }
}
