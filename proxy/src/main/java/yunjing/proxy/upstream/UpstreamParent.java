package yunjing.proxy.upstream;

import yunjing.proxy.ParentConfig;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One parent (or grandparent) as the forwarding path sees it: its configuration, its circuit breaker
 * and the number of exchanges in flight to it from this node (the load the bounded-load hashing
 * balances). Thread-safe.
 */
final class UpstreamParent {

    private final ParentConfig config;
    private final boolean grandparent;
    private final long idHash;
    private final CircuitBreaker breaker;
    private final AtomicInteger inFlight = new AtomicInteger();

    UpstreamParent(ParentConfig config, boolean grandparent, LongSupplier nanoTime) {
        this.config = config;
        this.grandparent = grandparent;
        this.idHash = SelectionHash.of(config.id());
        this.breaker = new CircuitBreaker(nanoTime);
    }

    ParentConfig config() {
        return config;
    }

    String id() {
        return config.id();
    }

    boolean isGrandparent() {
        return grandparent;
    }

    long idHash() {
        return idHash;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    int inFlight() {
        return inFlight.get();
    }

    void exchangeStarted() {
        inFlight.incrementAndGet();
    }

    void exchangeEnded() {
        inFlight.decrementAndGet();
    }

    @Override
    public String toString() {
        return config.id();
    }
}
