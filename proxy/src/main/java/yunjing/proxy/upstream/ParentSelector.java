package yunjing.proxy.upstream;

import yunjing.proxy.ParentConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Orders the parents for one request: healthy ones in configured preference order, then the unhealthy
 * ones as a last resort (a parent wrongly marked down is better than a certain 502).
 * Thread-safe; stateless apart from the health view it reads.
 *
 * <p>Room to grow: consistent hashing of the cache key and circuit breakers go here.
 */
public final class ParentSelector {

    private final List<ParentConfig> parents;
    private final Predicate<String> healthy;

    public ParentSelector(List<ParentConfig> parents, Predicate<String> healthy) {
        this.parents = List.copyOf(parents);
        this.healthy = healthy;
    }

    public List<ParentConfig> candidates() {
        List<ParentConfig> ordered = new ArrayList<>(parents.size());
        List<ParentConfig> down = new ArrayList<>(parents.size());
        for (ParentConfig parent : parents) {
            (healthy.test(parent.id()) ? ordered : down).add(parent);
        }
        ordered.addAll(down);
        return ordered;
    }
}
