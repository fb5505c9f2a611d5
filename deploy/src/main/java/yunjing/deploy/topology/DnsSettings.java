package yunjing.deploy.topology;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The authoritative DNS listener (UDP and TCP on one port, {@code udpThreads} UDP sockets with their
 * own threads, 0 for one per core), its admin port and answer shape, and the edges' active RTT probes
 * that feed its steering.
 */
public record DnsSettings(InetSocketAddress listen, InetSocketAddress admin, int ttlSeconds, int maxAnswers,
        RttProbes rttProbes, int udpThreads) {

    public DnsSettings {
        Objects.requireNonNull(rttProbes, "rttProbes");
        if (udpThreads < 0) {
            throw new IllegalArgumentException("udpThreads: " + udpThreads + " (expected: >= 0, 0 for one per core)");
        }
    }

    /** One UDP socket per core. */
    public DnsSettings(InetSocketAddress listen, InetSocketAddress admin, int ttlSeconds, int maxAnswers, RttProbes rttProbes) {
        this(listen, admin, ttlSeconds, maxAnswers, rttProbes, 0);
    }

    /** Without RTT probes. */
    public DnsSettings(InetSocketAddress listen, InetSocketAddress admin, int ttlSeconds, int maxAnswers) {
        this(listen, admin, ttlSeconds, maxAnswers, RttProbes.NONE);
    }
}
