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
 * <p>UDP: one socket per core on the same port ({@code SO_REUSEPORT}), so queries are answered on
 * every core as gdnsd's {@code udp_threads} are (the kernel spreads datagrams over the sockets by the
 * sender's address and port); the sockets share one thread-safe response rate limiter. Each socket
 * has its own thread reading and writing batches with {@code recvmmsg}/{@code sendmmsg}
 * ({@link MmsgUdpListener}, JNI) where that library loaded (Linux x86-64 builds with a C compiler);
 * elsewhere each is a Netty datagram channel on its own event loop, and on NIO there is one socket.
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
    /** {@code netty} serves UDP over Netty's datagram channel even where batched native I/O is available. */
    public static final String UDP_IO_PROPERTY = "yunjing.dns.udp";
    /** Datagrams read per system call on Netty's epoll transport (recvmmsg). */
    static final int BATCH = 16;

    private final List<UdpListener> udp;
    private final String udpIo;
    private final int requestedUdpSockets;
    private final Channel tcp;
    private final ChannelGroup connections;
    private final LiveProtection protection;
    private final InetSocketAddress udpAddress;
    private final InetSocketAddress tcpAddress;
    private volatile boolean closed;

    private DnsListeners(List<UdpListener> udp, String udpIo, int requestedUdpSockets, Channel tcp,
            ChannelGroup connections, LiveProtection protection) {
        this.udp = List.copyOf(udp);
        this.udpIo = udpIo;
        this.requestedUdpSockets = requestedUdpSockets;
        this.tcp = tcp;
        this.connections = connections;
        this.protection = protection;
        this.udpAddress = udp.get(0).localAddress();
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
     * one per core. Never more than cores (batched I/O, a thread each) or event loops (Netty, a loop each).
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
        DatagramAnswerer answerer = new DatagramAnswerer(processor, metrics, live);
        boolean batched = batchedUdp();
        String udpIo = batched ? "recvmmsg" : "netty-" + loops.transport();
        int attempts = address.getPort() == 0 ? BIND_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            ChannelGroup connections = new DefaultChannelGroup("dns-tcp", GlobalEventExecutor.INSTANCE);
            List<UdpListener> udp = batched ? bindBatchedUdp(address, answerer, udpSockets)
                    : bindNettyUdp(address, loops, answerer, udpSockets);
            InetSocketAddress udpAddress = udp.get(0).localAddress();
            InetSocketAddress tcpWanted = new InetSocketAddress(address.getAddress(), udpAddress.getPort());
            try {
                Channel tcp = bindTcp(tcpWanted, loops, processor, tcpIdleTimeout, connections, live, metrics);
                return new DnsListeners(udp, udpIo, udpSockets, tcp, connections, live);
            } catch (BindException | InterruptedException e) {
                udp.forEach(u -> u.close(true));
                if (e instanceof InterruptedException || attempt >= attempts) {
                    throw e;
                }
            }
        }
    }

    /**
     * Whether UDP is served by {@link MmsgUdpListener}: when its native library loaded, unless the system
     * property {@value #UDP_IO_PROPERTY} is {@code netty}.
     */
    static boolean batchedUdp() {
        return !"netty".equals(System.getProperty(UDP_IO_PROPERTY)) && MmsgSocket.isAvailable();
    }

    /** {@code wanted} sockets (0: one per core) on the port, each served by its own thread. */
    private static List<UdpListener> bindBatchedUdp(InetSocketAddress address, DatagramAnswerer answerer, int wanted)
            throws BindException {
        int cores = Runtime.getRuntime().availableProcessors();
        int sockets = wanted > 0 ? Math.min(wanted, cores) : cores; // more threads than cores only queue
        List<UdpListener> listeners = new ArrayList<>(sockets);
        try {
            InetSocketAddress at = address;
            while (listeners.size() < sockets) {
                MmsgUdpListener next = MmsgUdpListener.bind(at, true, answerer, "dns-udp-" + listeners.size());
                listeners.add(next);
                at = next.localAddress(); // port 0: the others join the port the first one got
            }
            return listeners;
        } catch (BindException | RuntimeException e) {
            listeners.forEach(u -> u.close(true));
            throw e;
        }
    }

    private static List<UdpListener> bindNettyUdp(InetSocketAddress address, EventLoops loops,
            DatagramAnswerer answerer, int wanted) throws BindException, InterruptedException {
        boolean reusePort = "epoll".equals(loops.transport());
        int sockets = reusePort ? udpSockets(loops, wanted) : 1;
        Bootstrap b = new Bootstrap()
                .group(loops.group())
                .channel(loops.datagramChannel())
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UDP_RECEIVE_BUFFER))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new DnsUdpHandler(answerer)); // one per socket
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
        List<UdpListener> channels = new ArrayList<>(sockets);
        try {
            channels.add(new NettyUdpListener(await(b.bind(address), "udp", address)));
            // Port 0: the others join the port the first one got.
            InetSocketAddress bound = channels.get(0).localAddress();
            InetSocketAddress same = new InetSocketAddress(address.getAddress(), bound.getPort());
            while (channels.size() < sockets) {
                channels.add(new NettyUdpListener(await(b.bind(same), "udp", same)));
            }
            return channels;
        } catch (BindException | InterruptedException | RuntimeException e) {
            channels.forEach(c -> c.close(true));
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

    /** How UDP is read and written: {@code recvmmsg} (batched native I/O), or {@code netty-epoll} / {@code netty-nio}. */
    public String udpIo() {
        return udpIo;
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
        return !closed && udp.stream().allMatch(UdpListener::isActive) && tcp.isActive();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Waiting on an event loop for that loop's own work would deadlock (Netty refuses it):
        // from an event loop, start the closes and return.
        boolean mayWait = udp.stream().noneMatch(UdpListener::onOwnThread) && !tcp.eventLoop().inEventLoop();
        udp.forEach(u -> u.close(false));
        ChannelFuture tcpClosed = tcp.close();
        ChannelGroupFuture connectionsClosed = connections.close();
        if (mayWait) {
            udp.forEach(u -> u.close(true));
            tcpClosed.awaitUninterruptibly();
            connectionsClosed.awaitUninterruptibly();
        }
    }
}
