package yunjing.deploy.admin;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An operator's decision that a role should stop getting new traffic: its /readyz answers 503
 * with {@code "draining":true}, which the DNS reads as "out of answers now" and parents as "not a
 * candidate". Requests already in flight finish.
 */
public final class DrainSwitch {
    private final AtomicBoolean draining = new AtomicBoolean();

    public boolean isDraining() {
        return draining.get();
    }

    /** @return whether the state changed */
    public boolean set(boolean drain) {
        return draining.getAndSet(drain) != drain;
    }
}
