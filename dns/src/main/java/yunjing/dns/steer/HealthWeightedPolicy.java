package yunjing.dns.steer;

import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The foundation's steering: every healthy target of the query's address family, rotated by
 * weight, at most {@code maxAnswers} per answer. Ignores where the client is.
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

    /**
     * @param healthy tells whether the target with this id should get traffic; called on event loops,
     *                so it must be a cheap read (e.g. of the health checker's published state)
     */
    public HealthWeightedPolicy(List<DnsTarget> targets, Predicate<String> healthy, long ttlSeconds, int maxAnswers) {
        Objects.requireNonNull(targets, "targets");
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
        List<DnsTarget> picked = (v4 ? rotation4 : rotation6).pick(failOpen ? family : up, maxAnswers);
        List<InetAddress> addresses = new ArrayList<>(picked.size());
        for (DnsTarget t : picked) {
            addresses.add(t.address());
        }
        return new SteeringAnswer(addresses, failOpen ? failOpenTtlSeconds(ttlSeconds) : ttlSeconds,
                failOpen);
    }
}
