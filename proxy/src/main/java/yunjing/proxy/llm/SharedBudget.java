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
 *   <li>Tokens per minute: the tokens charged here ({@link #spendTokens}) are reported to the owner with the
 *       next lease request, or in a report of their own once they reach a tenth of the plan's tokens per
 *       minute or are {@link #REPORT_MILLIS} old; while the owner says the key's tokens are in debt, the key
 *       is refused ({@link #tokensVerdict}). Counting alone, the edge's bucket holds 1/edges of them.</li>
 * </ul>
 * Thread-safe; the per-key state is guarded by itself.
 */
public final class SharedBudget {

    private static final Logger log = Logger.getLogger(SharedBudget.class.getName());
    /** How long an edge counts alone after a failed lease request before asking the owner again. */
    public static final long FALLBACK_MILLIS = 5_000;
    /** How long tokens charged here wait at most before they are reported to the owner (see {@link #reportDue}). */
    public static final long REPORT_MILLIS = 1_000;

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
            k.plan = plan;
            if (k.left > 0) {
                k.left--;
                if (k.left <= slice / 2 && !k.asking) {   // early, so that the next slice is there in time
                    ask(keyId, k, plan, slice);
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
                ask(keyId, k, plan, slice);
            }
            if (onCredit) {
                return Verdict.ADMIT;
            }
            return new Verdict("rpm", 1);
        }
    }

    /**
     * Whether {@code keyId}'s tokens per minute are spent across the edges, as the owner last said: a refusal
     * {@code tpm} with the owner's Retry-After, or {@link Verdict#ADMIT}.
     */
    public Verdict tokensVerdict(String keyId) {
        KeyShare k = shares.get(keyId);
        if (k == null) {
            return Verdict.ADMIT;
        }
        long now = clock.millis();
        synchronized (k) {
            if (now < k.fallbackUntil || now >= k.tokensRefusedUntil) {
                return Verdict.ADMIT;
            }
            return new Verdict("tpm", Math.max(1, (k.tokensRefusedUntil - now + 999) / 1000));
        }
    }

    /** The tokens per minute this edge's own bucket holds for {@code keyId}: all, or 1/edges when alone. */
    public int tokensPerMinuteHere(String keyId, ApiPlan plan) {
        int tpm = plan.tokensPerMinute();
        return tpm == 0 || !fallingBack(keyId) ? tpm : Math.max(1, tpm / edges);
    }

    /**
     * Adds {@code tokens} charged here (the origin's usage) to the key's next report, and reports at once when
     * they reach a tenth of the plan's tokens per minute, or when the last report is {@link #REPORT_MILLIS} old.
     * Nothing when the plan has no such limit, or while counting alone (never reported, like requests).
     */
    public void spendTokens(String keyId, ApiPlan plan, long tokens) {
        if (plan.tokensPerMinute() == 0 || tokens <= 0) {
            return;
        }
        KeyShare k = shares.computeIfAbsent(keyId, id -> new KeyShare());
        long now = clock.millis();
        synchronized (k) {
            if (now < k.fallbackUntil) {
                return;
            }
            k.plan = plan;
            k.tokens = Math.min(LeaseMessages.MAX_COUNT, k.tokens + tokens);
            if (!k.asking && (k.tokens >= Math.max(1, plan.tokensPerMinute() / 10)
                    || now - k.lastAsk >= REPORT_MILLIS)) {
                report(keyId, k, plan);
            }
        }
    }

    /**
     * Reports the tokens of every key that has waited {@link #REPORT_MILLIS} or more (a timer calls this; it
     * only starts lease requests, never waits for them).
     */
    public void reportDue() {
        long now = clock.millis();
        shares.forEach((keyId, k) -> {
            synchronized (k) {
                if (k.tokens > 0 && !k.asking && k.plan != null && now >= k.fallbackUntil
                        && now - k.lastAsk >= REPORT_MILLIS) {
                    report(keyId, k, k.plan);
                }
            }
        });
    }

    /** A report of tokens; it asks for the next slice too when one would be asked for now. Holding k. */
    private void report(String keyId, KeyShare k, ApiPlan plan) {
        int slice = sliceSize(plan);
        ask(keyId, k, plan, k.left <= slice / 2 ? slice : 0);
    }

    /** Tokens charged here not yet reported to the owner (for tests and diagnostics). */
    public long tokensUnreported(String keyId) {
        KeyShare k = shares.get(keyId);
        if (k == null) {
            return 0;
        }
        synchronized (k) {
            return k.tokens;
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

    /** Starts a lease request for {@code want} requests with what is to report; called holding k. */
    private void ask(String keyId, KeyShare k, ApiPlan plan, int want) {
        k.asking = true;
        k.lastAsk = clock.millis();
        int used = k.credit;
        int returned = k.unspent;
        int tokens = plan.tokensPerMinute() == 0 ? 0 : (int) k.tokens;
        LeaseMessages.Ask ask = new LeaseMessages.Ask(keyId, plan.requestsPerMinute(), plan.requestsPerDay(),
                want, used, returned, tokens, plan.tokensPerMinute());
        CompletableFuture<LeaseMessages.Grant> answer;
        try {
            answer = transport.ask(ask);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((grant, error) -> answered(keyId, k, used, returned, tokens, grant, error));
    }

    private void answered(String keyId, KeyShare k, int used, int returned, int tokens, LeaseMessages.Grant grant,
            Throwable error) {
        long now = clock.millis();
        synchronized (k) {
            k.asking = false;
            if (error != null || grant == null) {
                // The owner saw nothing of this request: what was on credit stays uncounted there, bounded by
                // one slice; the edge counts alone for a while.
                k.credit = 0;
                k.unspent = 0;
                k.tokens = 0;
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
            k.tokens -= tokens;
            k.tokensRefusedUntil = grant.tokensRetryAfterSeconds() > 0
                    ? now + grant.tokensRetryAfterSeconds() * 1000 : 0;
            if (grant.granted() > 0) {
                k.left += grant.granted();
                k.expiresAt = now + grant.ttlMillis();
                k.refusedUntil = 0;
            } else if (grant.reason() != null) {   // null: a report of tokens that asked for no requests
                k.refusedUntil = now + grant.retryAfterSeconds() * 1000;
                k.refusedReason = grant.reason();
            }
            if (metrics != null) {
                metrics.apiLease(grant.granted() > 0 ? "granted" : grant.reason() != null ? "refused" : "reported");
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
        long lastAsk;
        ApiPlan plan;         // the plan of the key's last request here, for the timer's reports
        long tokens;          // charged here, not yet reported
        long tokensRefusedUntil;
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
