package yunjing.deploy.topology;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The authoritative DNS listener (UDP and TCP on one port), its admin port and answer shape, and the
 * edges' active RTT probes that feed its steering.
 */
public record DnsSettings(InetSocketAddress listen, InetSocketAddress admin, int ttlSeconds, int maxAnswers,
        RttProbes rttProbes) {

    public DnsSettings {
        Objects.requireNonNull(rttProbes, "rttProbes");
    }

    /** Without RTT probes. */
    public DnsSettings(InetSocketAddress listen, InetSocketAddress admin, int ttlSeconds, int maxAnswers) {
        this(listen, admin, ttlSeconds, maxAnswers, RttProbes.NONE);
    }
}
