package yunjing.proxy.llm;

import yunjing.proxy.ApiPlan;
import yunjing.proxy.metrics.ProxyMetrics;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * An edge's share of the per-minute and per-day request budgets of keys owned elsewhere (see proxy README,
 * "Limits across edges"). Per key it spends a slice leased from the owner, asking for the next slice
 * before this one is gone; it never blocks: a lease request runs in the background.
 *
 * <ul>
 *   <li>While a key has no slice (its first request here, or the next slice still on its way) the edge admits
 *       up to one slice on credit and reports it in its next request, which charges it.</li>
 *   <li>When the owner has nothing left, requests are refused until the owner's Retry-After.</li>
 *   <li>When the owner cannot be asked, the edge counts the key alone for {@link #FALLBACK_MILLIS}, with
 *       1/edges of the plan's minute and day budgets (fail open, bounded), then asks again.</li>
 * </ul>
 * Thread-safe; the per-key state is guarded by itself.
 */
public final class SharedBudget {

    private static final Logger log = Logger.getLogger(SharedBudget.class.getName());
    /** How long an edge counts alone after a failed lease request before asking the owner again. */
    public static final long FALLBACK_MILLIS = 5_000;

    private final LeaseTransport transport;
    private final int edges;
    private final Clock clock;
    private final ProxyMetrics metrics;
    private final Map<String, KeyShare> shares = new ConcurrentHashMap<>();

    /**
     * @param edges how many edges share each budget: in a fallback an edge takes 1/edges of it
     */
    public SharedBudget(LeaseTransport transport, int edges, Clock clock, ProxyMetrics metrics) {
        if (edges < 1) {
            throw new IllegalArgumentException("edges: " + edges + " (expected >= 1)");
        }
        this.transport = transport;
        this.edges = edges;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** The slice an edge asks for: a tenth of the minute's (or the day's, when smaller) budget, at least 1. */
    public static int sliceSize(ApiPlan plan) {
        return Math.max(1, Math.min(plan.requestsPerMinute(), plan.requestsPerDay()) / 10);
    }

    /** An admission (reason null) or a refusal with its reason ({@code rpm}, {@code rpd}) and Retry-After. */
    public record Verdict(String reason, long retryAfterSeconds) {
        static final Verdict ADMIT = new Verdict(null, 0);

        public boolean admitted() {
            return reason == null;
        }
    }

    /** Takes one request of {@code keyId}'s budget, or says why not. */
    public Verdict take(String keyId, ApiPlan plan) {
        KeyShare k = shares.computeIfAbsent(keyId, id -> new KeyShare());
        long now = clock.millis();
        int slice = sliceSize(plan);
        synchronized (k) {
            if (now < k.fallbackUntil) {
                return k.takeAlone(now, plan, edges);
            }
            if (k.left > 0 && now >= k.expiresAt) {
                k.unspent += k.left;   // given back in the next request
                k.left = 0;
            }
            if (k.left > 0) {
                k.left--;
                if (k.left <= slice / 2 && !k.asking) {   // early, so that the next slice is there in time
                    ask(keyId, k, plan);
                }
                return Verdict.ADMIT;
            }
            if (now < k.refusedUntil) {
                return new Verdict(k.refusedReason, Math.max(1, (k.refusedUntil - now + 999) / 1000));
            }
            // No slice: on credit, counted before asking so that this very request is reported with the ask
            // (the owner charges it before it grants: a plan of 1 per minute admits 1, not 1 + a slice).
            boolean onCredit = k.credit < slice;
            if (onCredit) {
                k.credit++;
            }
            if (!k.asking) {
                ask(keyId, k, plan);
            }
            if (onCredit) {
                return Verdict.ADMIT;
            }
            return new Verdict("rpm", 1);
        }
    }

    /** Requests of {@code keyId} left in its slice here (for tests and diagnostics). */
    public int sliceLeft(String keyId) {
        KeyShare k = shares.get(keyId);
        if (k == null) {
            return 0;
        }
        synchronized (k) {
            return k.left;
        }
    }

    /** Whether {@code keyId} is counted here alone because its owner could not be asked. */
    public boolean fallingBack(String keyId) {
        KeyShare k = shares.get(keyId);
        if (k == null) {
            return false;
        }
        synchronized (k) {
            return clock.millis() < k.fallbackUntil;
        }
    }

    /** Starts a lease request; called holding k. */
    private void ask(String keyId, KeyShare k, ApiPlan plan) {
        k.asking = true;
        int used = k.credit;
        int returned = k.unspent;
        LeaseMessages.Ask ask = new LeaseMessages.Ask(keyId, plan.requestsPerMinute(), plan.requestsPerDay(),
                sliceSize(plan), used, returned);
        CompletableFuture<LeaseMessages.Grant> answer;
        try {
            answer = transport.ask(ask);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((grant, error) -> answered(keyId, k, used, returned, grant, error));
    }

    private void answered(String keyId, KeyShare k, int used, int returned, LeaseMessages.Grant grant,
            Throwable error) {
        long now = clock.millis();
        synchronized (k) {
            k.asking = false;
            if (error != null || grant == null) {
                // The owner saw nothing of this request: what was on credit stays uncounted there, bounded by
                // one slice; the edge counts alone for a while.
                k.credit = 0;
                k.unspent = 0;
                k.fallbackUntil = now + FALLBACK_MILLIS;
                if (metrics != null) {
                    metrics.apiLease("failed");
                }
                log.warning("budget owner of key " + keyId + " not reachable (" + describe(error)
                        + "); counting it alone with 1/" + edges + " of its plan for " + FALLBACK_MILLIS + " ms");
                return;
            }
            k.credit -= used;
            k.unspent -= returned;
            if (grant.granted() > 0) {
                k.left += grant.granted();
                k.expiresAt = now + grant.ttlMillis();
                k.refusedUntil = 0;
            } else {
                k.refusedUntil = now + grant.retryAfterSeconds() * 1000;
                k.refusedReason = grant.reason();
            }
            if (metrics != null) {
                metrics.apiLease(grant.granted() > 0 ? "granted" : "refused");
            }
        }
    }

    private static String describe(Throwable error) {
        if (error == null) {
            return "no answer";
        }
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    /** One key's share at this edge. */
    private static final class KeyShare {
        int left;             // requests of the current slice not yet spent
        long expiresAt;
        int credit;           // admitted without a slice, not yet reported
        int unspent;          // of expired slices, not yet given back
        boolean asking;
        long refusedUntil;
        String refusedReason;
        long fallbackUntil;
        final TokenBucket alone = new TokenBucket();
        long day = Long.MIN_VALUE;
        int aloneToday;

        /** Counting alone: 1/edges of the minute and of the day, at least one request each. */
        Verdict takeAlone(long now, ApiPlan plan, int edges) {
            int perMinute = Math.max(1, plan.requestsPerMinute() / edges);
            int perDay = Math.max(1, plan.requestsPerDay() / edges);
            Instant instant = Instant.ofEpochMilli(now);
            long today = ShanghaiDay.of(instant);
            if (day != today) {
                day = today;
                aloneToday = 0;
            }
            if (aloneToday >= perDay) {
                return new Verdict("rpd", Math.max(1, (ShanghaiDay.untilMidnight(instant).toMillis() + 999) / 1000));
            }
            long wait = alone.tryTake(now, perMinute);
            if (wait > 0) {
                return new Verdict("rpm", (wait + 999) / 1000);
            }
            aloneToday++;
            return Verdict.ADMIT;
        }
    }
}
