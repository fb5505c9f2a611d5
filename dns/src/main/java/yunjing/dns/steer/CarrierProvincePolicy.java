package yunjing.dns.steer;

import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;
import yunjing.dns.locate.ClientLocator;
import yunjing.dns.locate.ClientSubnet;
import yunjing.dns.locate.Location;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Steers each client to healthy targets on its own carrier, as near as possible: carrier before
 * distance, because the interconnects between Chinese carriers are the bottleneck, not distance.
 *
 * <p>The client is the EDNS Client Subnet address when the resolver sends one, else the resolver
 * (see {@link ClientSubnet#clientAddress}). Among the healthy targets of the query's family it
 * takes the first non-empty group of:
 * <ol>
 * <li>{@code line-node}: the target an operator line pins the client's block to;
 * <li>{@code carrier+province}: same carrier, same province;
 * <li>{@code carrier+region}: same carrier, same region ({@link Regions});
 * <li>{@code carrier}: same carrier anywhere;
 * <li>{@code province}: same province, any carrier;
 * <li>{@code any}: every healthy target.
 * </ol>
 * and answers up to {@code maxAnswers} of that group, spread by weight with a rotation per group
 * ({@link WeightedRotation}). The group's name is the answer's {@code rule}.
 *
 * <p>RTT inside the group ({@link RttTable}): when targets of a group with two or more members have
 * measured RTTs (each its own for the client's block, /24 or /48, else for the block's carrier ×
 * province, which the edges' active probes fill for edges no client used yet), the fastest one
 * is answered first, with hysteresis ({@link RttPreference}: a new best must be 20 % and 5 ms faster
 * than the current one), and the rest of the group follows in weighted-rotation order as fallback;
 * the rule gets a {@code +rtt} suffix. Without measurements the weighted spread stands.
 *
 * <p>When no target of the family is healthy it fails open exactly as {@link HealthWeightedPolicy}
 * does: all of them, with half the TTL ({@link HealthWeightedPolicy#failOpenTtlSeconds}).
 *
 * <p>ECS scope: the answer depends on the client only through its {@link Location}, so it is the
 * same across the block the locator reports as constant around the client; that prefix length is
 * the answer's {@code scopePrefix} (fail-open answers: 0). Once the RTT table holds measurements of
 * single client blocks, answers from groups of two or more may differ between neighbouring blocks,
 * so their scope is at least /24 (IPv6 /48).
 *
 * <p>Thread-safe; runs on event loops. The locator lookup is in memory (the MMDBs are memory-mapped:
 * a cold page can fault once, nothing blocks on a lock or a socket); rotations are lock-free.
 */
public final class CarrierProvincePolicy implements SteeringPolicy {

    /** Rotations are kept per group; more distinct groups than this means a bug, so start over. */
    private static final int MAX_ROTATIONS = 4096;

    private static final int TIER_LINE_NODE = 0;
    private static final int TIER_CARRIER_PROVINCE = 1;
    private static final int TIER_CARRIER_REGION = 2;
    private static final int TIER_CARRIER = 3;
    private static final int TIER_PROVINCE = 4;
    private static final int TIER_ANY = 5;
    private static final int UNHEALTHY = 6;
    private static final String[] RULES = {"line-node", "carrier+province", "carrier+region", "carrier", "province", "any"};

    private record Candidate(DnsTarget target, String carrier, String province, String region) {
    }

    private record GroupKey(boolean v4, String rule, String carrier, String area) {
    }

    private final List<Candidate> ipv4;
    private final List<Candidate> ipv6;
    private final Predicate<String> healthy;
    private final Function<InetAddress, ClientLocator.Located> locator;
    private final long ttlSeconds;
    private final int maxAnswers;
    private final Map<GroupKey, WeightedRotation> rotations = new ConcurrentHashMap<>();
    private final RttTable rtt;
    private final RttPreference preference = new RttPreference();

    /**
     * @param healthy a cheap read of the health state (called on event loops)
     * @param locator usually {@link ClientLocator#lookup}; must be in-memory and thread-safe
     */
    public CarrierProvincePolicy(List<DnsTarget> targets, Predicate<String> healthy,
            Function<InetAddress, ClientLocator.Located> locator, long ttlSeconds, int maxAnswers) {
        this(targets, healthy, locator, ttlSeconds, maxAnswers, RttTable.withoutLocation());
    }

    /** @param rtt measured RTTs to rank targets inside a group by (read on event loops) */
    public CarrierProvincePolicy(List<DnsTarget> targets, Predicate<String> healthy,
            Function<InetAddress, ClientLocator.Located> locator, long ttlSeconds, int maxAnswers, RttTable rtt) {
        Objects.requireNonNull(targets, "targets");
        this.rtt = Objects.requireNonNull(rtt, "rtt");
        this.healthy = Objects.requireNonNull(healthy, "healthy");
        this.locator = Objects.requireNonNull(locator, "locator");
        SteeringAnswer.checkLimits(ttlSeconds, maxAnswers);
        this.ttlSeconds = ttlSeconds;
        this.maxAnswers = maxAnswers;
        List<Candidate> v4 = new ArrayList<>();
        List<Candidate> v6 = new ArrayList<>();
        for (DnsTarget t : targets) {
            String carrier = t.carrier() == null ? null : t.carrier().toLowerCase(Locale.ROOT);
            String province = t.province() == null ? null : t.province().toUpperCase(Locale.ROOT);
            (t.address() instanceof Inet4Address ? v4 : v6).add(
                    new Candidate(t, carrier, province, Regions.of(province)));
        }
        this.ipv4 = List.copyOf(v4);
        this.ipv6 = List.copyOf(v6);
    }

    @Override
    public SteeringAnswer steer(SteeringQuery query) {
        boolean v4 = query.type() == Type.A;
        List<Candidate> family = v4 ? ipv4 : ipv6;
        if (family.isEmpty()) {
            return SteeringAnswer.NONE;
        }
        // Health is read once per target and query: a change mid-query cannot leave an empty group.
        int[] tiers = new int[family.size()];
        boolean anyUp = false;
        for (int i = 0; i < tiers.length; i++) {
            boolean up = healthy.test(family.get(i).target.id());
            tiers[i] = up ? TIER_ANY : UNHEALTHY;
            anyUp |= up;
        }
        if (!anyUp) {
            List<DnsTarget> all = family.stream().map(Candidate::target).toList();
            return SteeringAnswer.of(rotation(new GroupKey(v4, "fail-open", null, null)).pick(all, maxAnswers),
                    HealthWeightedPolicy.failOpenTtlSeconds(ttlSeconds), true, "fail-open", 0);
        }

        InetAddress client = query.client();
        ClientLocator.Located located = client == null ? new ClientLocator.Located(Location.UNKNOWN, 0)
                : locator.apply(client);
        Location where = located.location();

        // The first non-empty group is the group of the healthy candidates' best (lowest) tier: a
        // candidate of a later group matching an earlier rule would have made that group non-empty.
        // One pass, no per-query lambdas or lists until a group of two or more needs them.
        int best = TIER_ANY;
        int members = 0;
        DnsTarget only = null;
        for (int i = 0; i < tiers.length; i++) {
            Candidate c = family.get(i);
            if (tiers[i] != UNHEALTHY) {
                tiers[i] = tier(c, where);
            }
            if (tiers[i] < best) {
                best = tiers[i];
                members = 0;
            }
            if (tiers[i] == best) {
                members++;
                only = c.target;
            }
        }
        String rule = RULES[best];
        int scope = located.prefixLength();
        if (members < 2) {
            return SteeringAnswer.of(List.of(only), ttlSeconds, false, rule, scope);
        }
        List<DnsTarget> group = new ArrayList<>(members);
        for (int i = 0; i < tiers.length; i++) {
            if (tiers[i] == best) {
                group.add(family.get(i).target);
            }
        }
        GroupKey key = groupKey(v4, best, where);
        scope = Math.max(scope, rtt.measuredScope(v4)); // neighbouring blocks may be measured differently
        List<DnsTarget> ranked = client == null ? null : rankByRtt(key, group, client, where);
        if (ranked != null) {
            return SteeringAnswer.of(ranked, ttlSeconds, false, key.rule() + "+rtt", scope);
        }
        return SteeringAnswer.of(rotation(key).pick(group, maxAnswers), ttlSeconds, false, key.rule(), scope);
    }

    /**
     * The group with its RTT-preferred target first and the rest in rotation order, or null when no
     * member has a measurement. Each member's RTT is its measurement for the client's block, else for
     * the block's carrier × province: an edge that only the active probes have measured (no client was
     * sent to it yet) still competes with one measured by the block's own clients.
     */
    private List<DnsTarget> rankByRtt(GroupKey key, List<DnsTarget> group, InetAddress client, Location where) {
        return preference.rankMeasured(rtt, RttTable.prefixScope(client), RttTable.areaScope(where), "|" + key, group,
                first -> rotation(new GroupKey(key.v4(), key.rule() + "+rtt:" + first.id(), key.carrier(), key.area())),
                maxAnswers);
    }

    /**
     * The first rule {@code c} meets for a client at {@code where}: {@link #TIER_LINE_NODE} …
     * {@link #TIER_ANY}, in the order of the class comment.
     */
    private static int tier(Candidate c, Location where) {
        String carrier = where.carrier();
        String province = where.province();
        if (where.node() != null && c.target.id().equals(where.node())) {
            return TIER_LINE_NODE;
        }
        boolean sameCarrier = carrier != null && carrier.equals(c.carrier);
        if (sameCarrier && province != null && province.equals(c.province)) {
            return TIER_CARRIER_PROVINCE;
        }
        if (sameCarrier) {
            String region = Regions.of(province);
            return region != null && region.equals(c.region) ? TIER_CARRIER_REGION : TIER_CARRIER;
        }
        if (province != null && province.equals(c.province)) {
            return TIER_PROVINCE;
        }
        return TIER_ANY;
    }

    /** The rotation key of a tier's group: the rule and the client attributes that define the group. */
    private static GroupKey groupKey(boolean v4, int tier, Location where) {
        return switch (tier) {
            case TIER_LINE_NODE -> new GroupKey(v4, RULES[tier], where.node(), null);
            case TIER_CARRIER_PROVINCE -> new GroupKey(v4, RULES[tier], where.carrier(), where.province());
            case TIER_CARRIER_REGION -> new GroupKey(v4, RULES[tier], where.carrier(), Regions.of(where.province()));
            case TIER_CARRIER -> new GroupKey(v4, RULES[tier], where.carrier(), null);
            case TIER_PROVINCE -> new GroupKey(v4, RULES[tier], null, where.province());
            default -> new GroupKey(v4, RULES[TIER_ANY], null, null);
        };
    }

    private WeightedRotation rotation(GroupKey key) {
        WeightedRotation r = rotations.get(key);
        if (r == null) {
            if (rotations.size() >= MAX_ROTATIONS) {
                rotations.clear();
            }
            r = rotations.computeIfAbsent(key, k -> new WeightedRotation());
        }
        return r;
    }
}
