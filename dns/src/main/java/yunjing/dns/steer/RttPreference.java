package yunjing.dns.steer;

import yunjing.dns.DnsTarget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Which target of a group a set of clients is sent to first, by measured RTT, with hysteresis: the
 * current choice stays until another target is faster by at least {@link #SWITCH_FRACTION} of the
 * current RTT <em>and</em> {@link #SWITCH_MIN_MILLIS}, so two edges with similar, noisy RTTs do not
 * make the answers flap (every flap empties resolver caches and moves clients between caches).
 *
 * <p>Choices are remembered per key (client scope, family and group); thread-safe, lock-free reads;
 * bounded: past {@value #MAX_KEYS} keys the memory starts over (the next answers re-pick the best).
 */
final class RttPreference {

    /** A challenger must be this fraction faster than the current choice... */
    static final double SWITCH_FRACTION = 0.2;
    /** ...and at least this many milliseconds faster. */
    static final double SWITCH_MIN_MILLIS = 5;
    static final int MAX_KEYS = 65_536;

    private final Map<String, String> current = new ConcurrentHashMap<>();

    /**
     * @param measured candidates with an RTT, non-empty
     * @param rtt      their RTTs in milliseconds, index for index (longer arrays: the rest is ignored)
     * @return the target to answer first
     */
    DnsTarget choose(String key, List<DnsTarget> measured, double[] rtt) {
        int best = 0;
        for (int i = 1; i < measured.size(); i++) {
            if (rtt[i] < rtt[best]) {
                best = i;
            }
        }
        String held = current.get(key);
        int at = -1;
        for (int i = 0; held != null && i < measured.size(); i++) {
            if (measured.get(i).id().equals(held)) {
                at = i;
            }
        }
        int chosen = at < 0 || beats(rtt[best], rtt[at]) ? best : at;
        String id = measured.get(chosen).id();
        if (!id.equals(held)) {
            if (current.size() >= MAX_KEYS) {
                current.clear();
            }
            current.put(key, id);
        }
        return measured.get(chosen);
    }

    /**
     * {@code group} answered with the target {@link #choose} picks among {@code measured} first, then the
     * others in the order {@code restRotation} gives for that first one (its own rotation: the fallback set
     * differs from the whole group's), at most {@code max}.
     *
     * @param rtt the RTTs of {@code measured}, index for index (longer arrays: the rest is ignored)
     */
    List<DnsTarget> rank(String key, List<DnsTarget> group, List<DnsTarget> measured, double[] rtt,
            Function<DnsTarget, WeightedRotation> restRotation, int max) {
        DnsTarget first = choose(key, measured, rtt);
        List<DnsTarget> rest = new ArrayList<>(group);
        rest.remove(first);
        List<DnsTarget> ranked = new ArrayList<>(max);
        ranked.add(first);
        ranked.addAll(restRotation.apply(first).pick(rest, max - 1));
        return ranked;
    }

    /**
     * {@link #rank} of {@code group} by the RTTs {@code rtt} holds for each member in the client's
     * block ({@code block}), else in its {@code area} (null: none), or null when no member has one.
     * The hysteresis is kept per block once the block has measurements of its own, else per area,
     * under that scope followed by {@code keySuffix}.
     */
    List<DnsTarget> rankMeasured(RttTable rtt, String block, String area, String keySuffix, List<DnsTarget> group,
            Function<DnsTarget, WeightedRotation> restRotation, int max) {
        List<DnsTarget> measured = new ArrayList<>(group.size());
        double[] millis = new double[group.size()];
        boolean anyOfBlock = false;
        for (DnsTarget t : group) {
            OptionalDouble m = rtt.rttMillis(block, t.id());
            anyOfBlock |= m.isPresent();
            if (m.isEmpty() && area != null) {
                m = rtt.rttMillis(area, t.id());
            }
            if (m.isPresent()) {
                millis[measured.size()] = m.getAsDouble();
                measured.add(t);
            }
        }
        if (measured.isEmpty()) {
            return null;
        }
        return rank((anyOfBlock ? block : area) + keySuffix, group, measured, millis, restRotation, max);
    }

    /** Whether a challenger's RTT is enough better than the holder's to take over. */
    static boolean beats(double challenger, double holder) {
        return challenger <= holder * (1 - SWITCH_FRACTION) && holder - challenger >= SWITCH_MIN_MILLIS;
    }
}
