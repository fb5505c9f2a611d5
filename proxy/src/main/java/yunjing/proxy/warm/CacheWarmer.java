package yunjing.proxy.warm;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import yunjing.proxy.WarmResult;
import yunjing.proxy.cache.HttpCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Warms a node's cache with a list of URLs, at most {@link #CONCURRENCY} fetches at a time, each on the
 * next event loop of the node ({@link WarmFetch}). Each fetch ends by itself: a hit at once, a fill when
 * its body has arrived or the upstream deadlines (first byte, idle) have failed it. Thread-safe.
 */
public final class CacheWarmer {

    /** Fetches in flight per warm request: enough to overlap round trips, few enough to leave clients room. */
    public static final int CONCURRENCY = 8;

    /** One URL to warm: as given, and the Host and request-target it is fetched with. */
    public record Target(String url, String host, String target) {
    }

    private final HttpCache cache;
    private final EventLoopGroup loops;
    private final String nodeId;

    public CacheWarmer(HttpCache cache, EventLoopGroup loops, String nodeId) {
        this.cache = cache;
        this.loops = loops;
        this.nodeId = nodeId;
    }

    /** Fetches every target; completes with their results in the given order, never exceptionally. */
    public CompletableFuture<List<WarmResult>> warm(List<Target> targets) {
        CompletableFuture<List<WarmResult>> all = new CompletableFuture<>();
        if (targets.isEmpty()) {
            all.complete(List.of());
            return all;
        }
        new Run(targets, all).start();
        return all;
    }

    private final class Run {
        private final List<Target> targets;
        private final WarmResult[] results;
        private final CompletableFuture<List<WarmResult>> all;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger finished = new AtomicInteger();

        Run(List<Target> targets, CompletableFuture<List<WarmResult>> all) {
            this.targets = List.copyOf(targets);
            this.results = new WarmResult[targets.size()];
            this.all = all;
        }

        void start() {
            for (int i = 0; i < Math.min(CONCURRENCY, targets.size()); i++) {
                fetchNext();
            }
        }

        /** Starts the next target, if any is left; each finished fetch starts one more. */
        private void fetchNext() {
            int index = next.getAndIncrement();
            if (index >= targets.size()) {
                return;
            }
            Target t = targets.get(index);
            EventLoop loop = loops.next();
            WarmFetch fetch = new WarmFetch(t.url(), nodeId, result -> done(index, result));
            try {
                loop.execute(() -> fetch.start(cache, loop, t.host(), t.target()));
            } catch (RuntimeException e) {
                // The loops are shutting down: report it rather than leave the caller waiting.
                done(index, new WarmResult(t.url(), 0, 0, null, "not fetched: " + e.getMessage()));
            }
        }

        private void done(int index, WarmResult result) {
            results[index] = result;
            if (finished.incrementAndGet() == targets.size()) {
                // The counter's increment publishes every earlier write of results.
                all.complete(new ArrayList<>(Arrays.asList(results)));
            } else {
                fetchNext();
            }
        }
    }
}
