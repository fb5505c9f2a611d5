package yunjing.proxy.upstream;

import yunjing.proxy.ParentConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Orders the parents for one request.
 *
 * <h2>Rendezvous hashing with bounded load</h2>
 * Each parent gets a weight per selection key ({@link SelectionHash#weight}); the parents are tried in
 * descending weight (highest random weight, Thaler and Ravishankar 1998), so each object has one home
 * parent and removing a parent only moves the keys it was home to. To keep a hot key range from
 * swamping its home, a parent whose in-flight exchanges already reach
 * {@code ceil(c × (total in flight + 1) / usable parents)} is moved behind the others of its tier
 * (consistent hashing with bounded loads, Mirrokni, Thorup and Zadimoghaddam 2018; {@code c} =
 * {@link #LOAD_FACTOR}).
 *
 * <h2>Order of the candidates</h2>
 * <ol>
 *   <li>healthy parents whose circuit breaker lets requests pass, by weight (overloaded ones last);</li>
 *   <li>the same of the grandparent tier (the parents' parents), so that a whole parent tier going down
 *       sends traffic one tier up rather than failing;</li>
 *   <li>as a last resort, parents and then grandparents that the health checks call down but whose
 *       breaker is not open (a parent wrongly marked down is better than a certain 502).</li>
 * </ol>
 * A parent whose breaker is open is not a candidate at all until its half-open trial is due.
 *
 * <p>Thread-safe: the parents' load and breakers are shared by every event loop.
 */
public final class ParentSelector {

    /** The bounded-load factor {@code c}: a parent may carry up to 25% more than the average. */
    static final double LOAD_FACTOR = 1.25;

    private final List<UpstreamParent> parents;
    private final List<UpstreamParent> grandparents;
    private final Map<String, UpstreamParent> byId = new LinkedHashMap<>();
    private final Predicate<String> healthy;

    /**
     * @param grandparents the parents' parents; ids already among {@code parents} are ignored
     * @param healthy      the active/passive health view, by parent id
     */
    public ParentSelector(List<ParentConfig> parents, List<ParentConfig> grandparents, Predicate<String> healthy) {
        this(parents, grandparents, healthy, System::nanoTime);
    }

    ParentSelector(List<ParentConfig> parents, List<ParentConfig> grandparents, Predicate<String> healthy,
            LongSupplier nanoTime) {
        this.healthy = healthy;
        this.parents = track(parents, false, nanoTime);
        this.grandparents = track(grandparents, true, nanoTime);
    }

    private List<UpstreamParent> track(List<ParentConfig> configs, boolean grandparent, LongSupplier nanoTime) {
        List<UpstreamParent> tracked = new ArrayList<>();
        for (ParentConfig config : configs) {
            if (!byId.containsKey(config.id())) {
                UpstreamParent parent = new UpstreamParent(config, grandparent, nanoTime);
                byId.put(config.id(), parent);
                tracked.add(parent);
            }
        }
        return List.copyOf(tracked);
    }

    /** Whether any parent or grandparent is configured. */
    boolean hasParents() {
        return !byId.isEmpty();
    }

    /** The candidates for one request with selection key {@code key}, in the order to try them. */
    List<UpstreamParent> candidates(String key) {
        long keyHash = SelectionHash.of(key);
        List<UpstreamParent> ordered = new ArrayList<>(byId.size());
        List<UpstreamParent> lastResort = new ArrayList<>();
        addTier(parents, keyHash, ordered, lastResort);
        addTier(grandparents, keyHash, ordered, lastResort);
        ordered.addAll(lastResort);
        return ordered;
    }

    /** The ids of {@link #candidates} (for tests and diagnostics). */
    public List<String> order(String key) {
        return candidates(key).stream().map(UpstreamParent::id).toList();
    }

    /** The breaker state of a parent as the gauge reports it: 0 closed, 1 half-open, 2 open; -1 unknown. */
    public int circuitState(String parentId) {
        UpstreamParent parent = byId.get(parentId);
        return parent == null ? -1 : parent.breaker().state().gaugeValue;
    }

    UpstreamParent parent(String id) {
        return byId.get(id);
    }

    private void addTier(List<UpstreamParent> tier, long keyHash, List<UpstreamParent> out,
            List<UpstreamParent> lastResort) {
        List<UpstreamParent> usable = new ArrayList<>(tier.size());
        List<UpstreamParent> down = new ArrayList<>();
        for (UpstreamParent parent : tier) {
            if (parent.breaker().mayAllow()) {
                (healthy.test(parent.id()) ? usable : down).add(parent);
            }
        }
        Comparator<UpstreamParent> byWeight = Comparator.comparingLong(
                (UpstreamParent p) -> SelectionHash.weight(keyHash, p.idHash())).reversed();
        usable.sort(byWeight);
        down.sort(byWeight);
        long total = 0;
        for (UpstreamParent parent : usable) {
            total += parent.inFlight();
        }
        long capacity = usable.isEmpty() ? 0 : (long) Math.ceil(LOAD_FACTOR * (total + 1) / usable.size());
        List<UpstreamParent> overloaded = new ArrayList<>();
        for (UpstreamParent parent : usable) {
            (parent.inFlight() >= capacity ? overloaded : out).add(parent);
        }
        out.addAll(overloaded);
        lastResort.addAll(down);
    }
}
