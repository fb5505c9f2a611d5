package yunjing.deploy.bench.wan;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import yunjing.common.net.EventLoops;

import java.net.InetSocketAddress;
import java.util.SplittableRandom;

/**
 * A user-space WAN emulator for one link: a TCP relay that listens on {@code bind} and forwards every
 * connection to {@code target} with the delay, bandwidth and faults of a {@link LinkProfile}. It stands in
 * for {@code tc netem}, which this kernel lacks.
 *
 * <p>Bandwidth is shared by all connections of the relay (one pacer per direction), as a physical link's
 * is. Faults are drawn from one seeded random source, so a run's fault count is reproducible in
 * distribution; which exact request fails depends on thread timing.
 *
 * <pre>{@code
 * try (WanRelay relay = WanRelay.start(LinkProfile.crossBorder(), new InetSocketAddress("127.0.0.1", 0),
 *         origin, loops, 42)) { ... relay.address() ... }
 * }</pre>
 */
public final class WanRelay implements AutoCloseable {

    private final LinkProfile profile;
    private final InetSocketAddress target;
    private final EventLoops loops;
    private final SplittableRandom seeds;
    private final LinkPacer upPacer;
    private final LinkPacer downPacer;
    private final RelayStats stats = new RelayStats();
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private Channel listener;

    private WanRelay(LinkProfile profile, InetSocketAddress target, EventLoops loops, long seed) {
        this.profile = profile;
        this.target = target;
        this.loops = loops;
        this.seeds = new SplittableRandom(seed);
        this.upPacer = new LinkPacer(profile.bitsPerSecond());
        this.downPacer = new LinkPacer(profile.bitsPerSecond());
    }

    public static WanRelay start(LinkProfile profile, InetSocketAddress bind, InetSocketAddress target, EventLoops loops,
                                 long seed) throws InterruptedException {
        return start(profile, bind, target, loops, seed, null);
    }

    /**
     * A relay that also terminates TLS on the client side ({@code tls} non-null): the front of an HTTPS
     * API whose servers speak plain HTTP behind it, like a cloud load balancer.
     */
    public static WanRelay start(LinkProfile profile, InetSocketAddress bind, InetSocketAddress target, EventLoops loops,
                                 long seed, SslContext tls) throws InterruptedException {
        WanRelay relay = new WanRelay(profile, target, loops, seed);
        relay.listener = new ServerBootstrap().group(loops.group()).channel(loops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        relay.open.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new RelayConnection(relay, relay.connectionRandom()));
                    }
                })
                .bind(bind).sync().channel();
        return relay;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    public LinkProfile profile() {
        return profile;
    }

    public RelayStats stats() {
        return stats;
    }

    InetSocketAddress target() {
        return target;
    }

    LinkPacer upPacer() {
        return upPacer;
    }

    LinkPacer downPacer() {
        return downPacer;
    }

    Class<? extends SocketChannel> socketChannelClass() {
        return loops.socketChannel();
    }

    /** Every connection gets its own random stream, split from the relay's seed in accept order. */
    private synchronized SplittableRandom connectionRandom() {
        return seeds.split();
    }

    FaultKind drawFault(SplittableRandom random) {
        return profile.faults().draw(random);
    }

    /** Stops accepting and closes every relayed connection (their queued data is released). */
    @Override
    public void close() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        open.close().awaitUninterruptibly();
    }
}
