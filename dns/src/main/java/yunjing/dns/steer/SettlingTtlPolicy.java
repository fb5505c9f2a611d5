package yunjing.dns.steer;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Wraps a policy and shortens the TTL of its answers to at most {@value #UNSETTLED_TTL_SECONDS} s
 * while health is changing (a target went down, came up, was drained or undrained recently), so
 * resolvers pick up the next change quickly; once health has been stable the delegate's TTL stands.
 * Thread-safe when the delegate is; {@code unsettled} must be a cheap read (event loops call it).
 */
public final class SettlingTtlPolicy implements SteeringPolicy {

    /** Most TTL of a steered answer while health is changing. */
    public static final long UNSETTLED_TTL_SECONDS = 5;

    private final SteeringPolicy delegate;
    private final BooleanSupplier unsettled;

    public SettlingTtlPolicy(SteeringPolicy delegate, BooleanSupplier unsettled) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.unsettled = Objects.requireNonNull(unsettled, "unsettled");
    }

    @Override
    public SteeringAnswer steer(SteeringQuery query) {
        SteeringAnswer a = delegate.steer(query);
        if (a.ttlSeconds() <= UNSETTLED_TTL_SECONDS || a.addresses().isEmpty() || !unsettled.getAsBoolean()) {
            return a;
        }
        return new SteeringAnswer(a.addresses(), UNSETTLED_TTL_SECONDS, a.failOpen(), a.rule(), a.scopePrefix());
    }
}
