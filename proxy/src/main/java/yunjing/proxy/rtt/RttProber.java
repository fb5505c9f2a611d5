package yunjing.proxy.rtt;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Active RTT probes: every {@code interval}, measures this edge's TCP handshake time to each
 * configured probe target (an address in a client network, e.g. one per carrier × province) and
 * posts it to the DNS's {@code POST /rtt} as a report for the target's block (/24, /48), exactly as
 * {@link RttReporter} posts what client connections measured. The DNS files it under that block and
 * under the block's carrier × province, so it has a measurement for every (area, edge) pair the
 * targets cover, also for an edge no client has been sent to yet (passive reports alone would never
 * measure it).
 *
 * <p>One measurement is the time {@link Socket#connect} takes: the kernel's SYN → SYN-ACK, one round
 * trip. Each round connects {@value #ATTEMPTS} times per target and reports the fastest (queueing only
 * ever adds delay) with the number of handshakes that completed as its samples, closing each
 * connection at once; a target that completes no handshake within {@code timeout} (filtered, refused,
 * unreachable) gives no measurement that round.
 *
 * <p>Runs on its own daemon thread, targets one after another, so a round never overlaps the next
 * and probes never touch the event loops.
 */
public final class RttProber implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RttProber.class.getName());
    /** Handshakes per target and round; the fastest counts. */
    static final int ATTEMPTS = 3;

    private final String node;
    private final List<InetSocketAddress> targets;
    private final Supplier<URI> endpoint;
    private final Duration timeout;
    private final RttPost post;
    private final ScheduledExecutorService timer;

    /**
     * @param node     this edge's id, as the DNS knows it
     * @param targets  probe targets (address and a TCP port that accepts connections); empty = nothing to do
     * @param endpoint the DNS's {@code /rtt} URL, or null while it is not known yet (that round is skipped)
     * @param token    the admin token the DNS checks
     * @param timeout  the longest one handshake may take
     */
    public RttProber(String node, List<InetSocketAddress> targets, Supplier<URI> endpoint, String token,
            Duration interval, Duration timeout) {
        this.node = Objects.requireNonNull(node, "node");
        this.targets = List.copyOf(targets);
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
        this.post = new RttPost(node + " probes", token);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "yunjing-rtt-probe-" + node);
            t.setDaemon(true);
            return t;
        });
        if (!this.targets.isEmpty()) {
            // The first round soon after start: a new edge should not wait a whole interval to be measured.
            timer.scheduleWithFixedDelay(this::round, Math.min(1000, interval.toMillis()), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** One TCP handshake with {@code target} in milliseconds, or empty when none completed in time. */
    static OptionalDouble handshakeMillis(InetSocketAddress target, Duration timeout) {
        try (Socket socket = new Socket()) {
            long start = System.nanoTime();
            socket.connect(target, (int) Math.max(1, timeout.toMillis()));
            return OptionalDouble.of(Math.max(0.001, (System.nanoTime() - start) / 1e6));
        } catch (IOException | RuntimeException e) {
            return OptionalDouble.empty();
        }
    }

    /** One probing round: the fastest of {@value #ATTEMPTS} handshakes per target that answered. */
    ClientBlockRtts sample() {
        ClientBlockRtts rtts = new ClientBlockRtts();
        for (InetSocketAddress target : targets) {
            double best = Double.MAX_VALUE;
            int answered = 0;
            for (int i = 0; i < ATTEMPTS; i++) {
                OptionalDouble ms = handshakeMillis(target, timeout);
                if (ms.isPresent()) {
                    best = Math.min(best, ms.getAsDouble());
                    answered++;
                }
            }
            if (answered > 0) {
                rtts.add(target.getAddress(), best, answered); // the DNS weighs a report by its samples
            }
        }
        return rtts;
    }

    private void round() {
        try {
            URI target = endpoint.get();
            if (target == null) {
                return;
            }
            ClientBlockRtts rtts = sample();
            if (!rtts.isEmpty()) {
                post.deliver(target, rtts.json(node, RttReporter.MAX_BODY_CHARS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, node + ": RTT probe round failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        post.close();
    }
}
