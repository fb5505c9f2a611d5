package yunjing.dns.steer;

import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The steering without location data: every healthy target of the query's address family, rotated
 * by weight, at most {@code maxAnswers} per answer. It knows nothing of carriers or provinces, but
 * with an {@link RttTable} it still answers a client block the healthy target its clients reach
 * fastest first (the edges' reports of real connections and the active probes, per /24 or /48), with
 * the same hysteresis as {@link CarrierProvincePolicy} ({@link RttPreference}); rule
 * {@code health+rtt}. Once the table holds per-block measurements, answers are scoped to the block.
 *
 * <p>When no target of the family is healthy it <em>fails open</em>: it answers from all of them,
 * as gdnsd and Route 53 do, because a health checker that cannot reach anything more often means
 * the checker's own network is broken than that every node is down, and an empty answer would take
 * the whole service off the air. Fail-open answers get half the TTL so resolvers come back sooner.
 */
public final class HealthWeightedPolicy implements SteeringPolicy {

    /**
     * TTL of fail-open answers: half the configured TTL (at least 1 s), so resolvers come back
     * sooner while every node looks down, without hammering us if the checker is what is broken.
     */
    public static long failOpenTtlSeconds(long ttlSeconds) {
        return Math.max(1, ttlSeconds / 2);
    }

    private final List<DnsTarget> ipv4;
    private final List<DnsTarget> ipv6;
    private final Predicate<String> healthy;
    private final long ttlSeconds;
    private final int maxAnswers;
    private final WeightedRotation rotation4 = new WeightedRotation();
    private final WeightedRotation rotation6 = new WeightedRotation();
    private final RttTable rtt; // null: no RTT ranking
    private final RttPreference preference = new RttPreference();
    /** Rotation of the other targets per RTT-preferred first one, by its id (a handful: one per target), per family. */
    private final Map<String, WeightedRotation> restRotations4 = new ConcurrentHashMap<>();
    private final Map<String, WeightedRotation> restRotations6 = new ConcurrentHashMap<>();

    /**
     * @param healthy tells whether the target with this id should get traffic; called on event loops,
     *                so it must be a cheap read (e.g. of the health checker's published state)
     */
    public HealthWeightedPolicy(List<DnsTarget> targets, Predicate<String> healthy, long ttlSeconds, int maxAnswers) {
        this(targets, healthy, ttlSeconds, maxAnswers, null);
    }

    /** @param rtt measured RTTs per client block to put the fastest healthy target first; null: none */
    public HealthWeightedPolicy(List<DnsTarget> targets, Predicate<String> healthy, long ttlSeconds, int maxAnswers,
            RttTable rtt) {
        Objects.requireNonNull(targets, "targets");
        this.rtt = rtt;
        this.healthy = Objects.requireNonNull(healthy, "healthy");
        SteeringAnswer.checkLimits(ttlSeconds, maxAnswers);
        this.ttlSeconds = ttlSeconds;
        this.maxAnswers = maxAnswers;
        this.ipv4 = targets.stream().filter(t -> t.address() instanceof Inet4Address).toList();
        this.ipv6 = targets.stream().filter(t -> !(t.address() instanceof Inet4Address)).toList();
    }

    @Override
    public SteeringAnswer steer(SteeringQuery query) {
        boolean v4 = query.type() == Type.A;
        List<DnsTarget> family = v4 ? ipv4 : ipv6;
        if (family.isEmpty()) {
            return SteeringAnswer.NONE;
        }
        List<DnsTarget> up = new ArrayList<>(family.size());
        for (DnsTarget t : family) {
            if (healthy.test(t.id())) {
                up.add(t);
            }
        }
        boolean failOpen = up.isEmpty();
        // Measured blocks may be answered differently from their neighbours: scope every answer.
        int scope = rtt == null ? 0 : rtt.measuredScope(v4);
        if (!failOpen && up.size() > 1 && scope > 0) {
            InetAddress client = query.client();
            List<DnsTarget> ranked = client == null ? null : rankByRtt(v4, up, client);
            if (ranked != null) {
                return SteeringAnswer.of(ranked, ttlSeconds, false, "health+rtt", scope);
            }
        }
        List<DnsTarget> picked = (v4 ? rotation4 : rotation6).pick(failOpen ? family : up, maxAnswers);
        return SteeringAnswer.of(picked, failOpen ? failOpenTtlSeconds(ttlSeconds) : ttlSeconds,
                failOpen, failOpen ? "fail-open" : "health", scope);
    }

    /** The healthy targets, the client block's fastest first; null when none has a measurement. */
    private List<DnsTarget> rankByRtt(boolean v4, List<DnsTarget> up, InetAddress client) {
        Map<String, WeightedRotation> rest = v4 ? restRotations4 : restRotations6;
        return preference.rankMeasured(rtt, RttTable.prefixScope(client), null, v4 ? "|4" : "|6", up,
                first -> rest.computeIfAbsent(first.id(), k -> new WeightedRotation()), maxAnswers);
    }
}
