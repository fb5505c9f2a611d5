package yunjing.deploy.topology;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The edges' active RTT probes ({@code dns.rtt_probes} in the topology): every edge measures its TCP
 * handshake time to each target every {@code interval} and reports it to the DNS as the RTT of the
 * target's client block (see {@code yunjing.proxy.rtt.RttProber}). No targets = no probes (the default).
 *
 * @param targets addresses in client networks with a TCP port that accepts connections, e.g. one per
 *                carrier × province the DNS steers
 */
public record RttProbes(Duration interval, Duration timeout, List<InetSocketAddress> targets) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    /** No probes. */
    public static final RttProbes NONE = new RttProbes(DEFAULT_INTERVAL, DEFAULT_TIMEOUT, List.of());

    public RttProbes {
        targets = List.copyOf(targets);
    }

    public boolean enabled() {
        return !targets.isEmpty();
    }
}
