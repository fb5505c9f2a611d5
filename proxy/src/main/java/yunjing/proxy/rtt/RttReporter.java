package yunjing.proxy.rtt;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every {@code interval}, reads the kernel's smoothed RTT ({@code tcpi_rtt} of TCP_INFO) of each
 * open client connection, averages it per client block (IPv4 /24, IPv6 /48) and posts the averages
 * to the DNS admin port's {@code POST /rtt} with the admin token. The DNS ranks edges by these
 * measurements of real client paths.
 *
 * <p>Only the native epoll transport exposes TCP_INFO ({@link EpollSocketChannel#tcpInfo()}); on NIO
 * there is nothing to read and the reporter posts nothing. Runs on its own daemon thread, never on an
 * event loop: {@code tcpInfo()} is one {@code getsockopt} per connection, and a connection that
 * closes meanwhile is skipped. A DNS that is unreachable or refuses a report costs one log line per
 * failure streak ({@link RttPost}); the next round tries again with fresh data. {@link RttProber}
 * feeds the same table with measurements of paths no client has used yet.
 */
public final class RttReporter implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RttReporter.class.getName());
    /** Bodies stay under the DNS admin port's request limit (8 KiB). */
    static final int MAX_BODY_CHARS = 6 * 1024;

    private final String node;
    private final Supplier<? extends Iterable<? extends Channel>> connections;
    private final Supplier<URI> endpoint;
    private final RttPost post;
    private final ScheduledExecutorService timer;

    /**
     * @param node        this edge's id, as the DNS knows it
     * @param connections the open client connections (e.g. {@code ProxyServer::clientConnections})
     * @param endpoint    the DNS's {@code /rtt} URL, or null while it is not known yet (that round is skipped)
     * @param token       the admin token the DNS checks
     */
    public RttReporter(String node, Supplier<? extends Iterable<? extends Channel>> connections,
            Supplier<URI> endpoint, String token, Duration interval) {
        this.node = Objects.requireNonNull(node, "node");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.post = new RttPost(node, token);
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "yunjing-rtt-" + node);
            t.setDaemon(true);
            return t;
        });
        long millis = interval.toMillis();
        timer.scheduleWithFixedDelay(this::round, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** The smoothed RTT of a connection in milliseconds, when the transport exposes TCP_INFO. */
    static OptionalDouble rttMillis(Channel channel) {
        if (!(channel instanceof EpollSocketChannel epoll) || !channel.isActive()) {
            return OptionalDouble.empty();
        }
        try {
            long micros = epoll.tcpInfo().rtt();
            return micros > 0 ? OptionalDouble.of(micros / 1000.0) : OptionalDouble.empty();
        } catch (RuntimeException e) {
            return OptionalDouble.empty(); // closed between the check and the read
        }
    }

    /** One sampling round: what the open connections say now. */
    ClientBlockRtts sample() {
        ClientBlockRtts rtts = new ClientBlockRtts();
        for (Channel ch : connections.get()) {
            OptionalDouble rtt = rttMillis(ch);
            if (rtt.isPresent() && ch.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
                rtts.add(remote.getAddress(), rtt.getAsDouble());
            }
        }
        return rtts;
    }

    private void round() {
        try {
            URI target = endpoint.get();
            ClientBlockRtts rtts = sample();
            if (target == null || rtts.isEmpty()) {
                return;
            }
            post.deliver(target, rtts.json(node, MAX_BODY_CHARS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, node + ": RTT sampling failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        post.close();
    }
}
