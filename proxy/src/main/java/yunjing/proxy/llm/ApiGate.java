package yunjing.proxy.llm;

import yunjing.proxy.ApiAccess;
import yunjing.proxy.ApiKeyEntry;
import yunjing.proxy.ApiPlan;
import yunjing.proxy.metrics.ProxyMetrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admits or refuses {@code /v1/} requests by API key and plan limits. One per node, shared by every
 * event loop; thread-safe.
 *
 * <p>Keys are looked up by the SHA-256 of the presented secret, so no secret is ever compared character
 * by character (the map compares hashes, which leaks nothing usable about a secret).
 *
 * <p>Counters live per key id, outside the {@link ApiAccess}, so {@link #update} (a key reload) keeps
 * them, and a {@link Lease} taken before a reload releases the slot it took.
 */
public final class ApiGate {

    /** Current keys: SHA-256 hex → key, and the plans; replaced whole by {@link #update}. */
    private record Snapshot(ApiAccess access, Map<String, ApiKeyEntry> byHash) {
    }

    private volatile Snapshot snapshot;
    private final Map<String, KeyState> states = new ConcurrentHashMap<>();
    private final Clock clock;
    private final ProxyMetrics metrics;
    /** When set, requests per minute and per day are leased from each key's owner instead of counted here. */
    private volatile SharedBudget shared;

    public ApiGate(ApiAccess access, Clock clock, ProxyMetrics metrics) {
        this.clock = clock;
        this.metrics = metrics;
        update(access);
    }

    /** Swaps keys and plans atomically; requests in flight keep their slots and counters. */
    public void update(ApiAccess access) {
        ApiAccess a = access == null ? ApiAccess.OPEN : access;
        Map<String, ApiKeyEntry> byHash = new HashMap<>();
        for (ApiKeyEntry key : a.keys()) {
            byHash.put(key.sha256Hex(), key);
        }
        snapshot = new Snapshot(a, Map.copyOf(byHash));
    }

    /**
     * Counts requests per minute and per day against budgets shared by all edges ({@link SharedBudget})
     * from now on, and tokens per minute are reported to the key's owner as well as counted here; concurrency
     * stays counted here. Null: this edge counts alone.
     */
    public void share(SharedBudget budget) {
        this.shared = budget;
    }

    /** Whether keys are checked at all (this node is an API edge). */
    public boolean active() {
        return snapshot.access().hasKeys();
    }

    /**
     * Checks the {@code Authorization} header and the key's limits, in order: concurrency, tokens per minute
     * (whether the key's token budget is not spent), requests per minute, requests per day. On success the
     * caller holds a concurrency slot until it calls {@link Lease#release()}.
     *
     * @param authorization the header's value, or null when absent
     */
    public Admission admit(String authorization) {
        Snapshot s = snapshot;
        if (authorization == null || authorization.isBlank()) {
            return refuse(Rejection.unauthorized("missing_key", "missing_api_key",
                    "You didn't provide an API key. Send it as Authorization: Bearer <key>."));
        }
        String secret = bearer(authorization);
        ApiKeyEntry key = secret == null ? null : s.byHash().get(sha256Hex(secret));
        if (key == null) {
            return refuse(Rejection.unauthorized("invalid_key", "invalid_api_key",
                    "Incorrect API key provided. Check the key, or ask for a new one."));
        }
        ApiPlan plan = s.access().plans().get(key.plan());
        KeyState state = states.computeIfAbsent(key.id(), id -> new KeyState());
        if (state.inFlight.incrementAndGet() > plan.concurrent()) {
            state.inFlight.decrementAndGet();
            return refuse(Rejection.rateLimited("concurrency", plan.name() + " plan allows " + plan.concurrent()
                    + " concurrent requests; wait for one to finish", 1));
        }
        Instant now = clock.instant();
        long rejectSeconds;
        String reason;
        synchronized (state) {
            long day = ShanghaiDay.of(now);
            if (state.day != day) {
                state.day = day;
                state.requestsToday = 0;
            }
            SharedBudget budget = shared;
            // Counting alone (the owner unreachable), this edge's bucket holds 1/edges of the tokens.
            int tpm = budget == null ? plan.tokensPerMinute() : budget.tokensPerMinuteHere(key.id(), plan);
            long tokenWaitMillis = tpm == 0 ? 0 : state.tokens.millisUntilToken(now.toEpochMilli(), tpm);
            SharedBudget.Verdict tokensAcross = tpm == 0 || tokenWaitMillis > 0 || budget == null
                    ? SharedBudget.Verdict.ADMIT : budget.tokensVerdict(key.id());
            long waitMillis = budget != null || state.minute.hasToken(now.toEpochMilli(), plan.requestsPerMinute())
                    ? 0 : state.minute.tryTake(now.toEpochMilli(), plan.requestsPerMinute());
            if (tokenWaitMillis > 0) {
                reason = "tpm";
                rejectSeconds = (tokenWaitMillis + 999) / 1000;
            } else if (!tokensAcross.admitted()) {   // the owner says the key's tokens are spent across edges
                reason = tokensAcross.reason();
                rejectSeconds = tokensAcross.retryAfterSeconds();
            } else if (budget != null) {
                // Checked last: a request refused for tokens must not spend a leased request.
                SharedBudget.Verdict verdict = budget.take(key.id(), plan);
                reason = verdict.reason();
                rejectSeconds = verdict.retryAfterSeconds();
            } else if (waitMillis > 0) {
                reason = "rpm";
                rejectSeconds = (waitMillis + 999) / 1000;
            } else if (state.requestsToday >= plan.requestsPerDay()) {
                reason = "rpd";
                rejectSeconds = Math.max(1, (ShanghaiDay.untilMidnight(now).toMillis() + 999) / 1000);
            } else {
                state.minute.tryTake(now.toEpochMilli(), plan.requestsPerMinute());
                state.requestsToday++;
                reason = null;
                rejectSeconds = 0;
            }
        }
        if (reason != null) {
            state.inFlight.decrementAndGet();
            String message = switch (reason) {
                case "rpm" -> plan.name() + " plan allows " + plan.requestsPerMinute() + " requests per minute";
                case "tpm" -> plan.name() + " plan allows " + plan.tokensPerMinute()
                        + " tokens per minute (prompt and completion, as the origin counts them)";
                default -> plan.name() + " plan allows " + plan.requestsPerDay()
                        + " requests per day (resets at 00:00 Asia/Shanghai)";
            };
            return refuse(Rejection.rateLimited(reason, message, rejectSeconds));
        }
        return new Admission(new Lease(key, plan, state, clock, shared), null);
    }

    /** Requests of {@code keyId} in flight now (for tests and diagnostics). */
    public int inFlight(String keyId) {
        KeyState state = states.get(keyId);
        return state == null ? 0 : state.inFlight.get();
    }

    private Admission refuse(Rejection rejection) {
        if (metrics != null) {
            metrics.apiRejected(rejection.reason());
        }
        return new Admission(null, rejection);
    }

    /** Counts a refusal decided outside the gate (hygiene checks) in the same meter. */
    public void rejected(String reason) {
        if (metrics != null) {
            metrics.apiRejected(reason);
        }
    }

    /** The credentials of {@code Bearer <token>} (RFC 6750 §2.1), or null when malformed. */
    static String bearer(String authorization) {
        String v = authorization.strip();
        if (v.length() < 8 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = v.substring(7).strip();
        return token.isEmpty() || token.indexOf(' ') >= 0 ? null : token;
    }

    static String sha256Hex(String secret) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }

    /** Counters of one key id. inFlight is lock-free; the buckets and the day counter are guarded by this. */
    private static final class KeyState {
        final AtomicInteger inFlight = new AtomicInteger();
        final TokenBucket minute = new TokenBucket();
        final TokenBucket tokens = new TokenBucket();
        long day = Long.MIN_VALUE;
        int requestsToday;
    }

    /** Either a lease (admitted) or a rejection. */
    public record Admission(Lease lease, Rejection rejection) {
    }

    /**
     * A concurrency slot of one key, released exactly once however the exchange ends, and the plan it was
     * admitted under (a key reload does not change the limits of a request in flight).
     */
    public static final class Lease {
        private final ApiKeyEntry key;
        private final ApiPlan plan;
        private final KeyState state;
        private final Clock clock;
        private final SharedBudget shared;   // null: tokens are counted here alone
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(ApiKeyEntry key, ApiPlan plan, KeyState state, Clock clock, SharedBudget shared) {
            this.key = key;
            this.plan = plan;
            this.state = state;
            this.clock = clock;
            this.shared = shared;
        }

        public String keyId() {
            return key.id();
        }

        public String tenant() {
            return key.tenant();
        }

        public int priority() {
            return plan.priority();
        }

        public ApiPlan plan() {
            return plan;
        }

        /**
         * Charges {@code tokens} (what the origin reported) to the key's tokens-per-minute budget; the
         * next request waits while the budget is below one token. Nothing when the plan has no such limit.
         * With a {@link SharedBudget} the tokens are also reported to the key's owner.
         */
        public void spend(long tokens) {
            if (plan.tokensPerMinute() == 0 || tokens <= 0) {
                return;
            }
            int tpm = shared == null ? plan.tokensPerMinute() : shared.tokensPerMinuteHere(key.id(), plan);
            synchronized (state) {
                state.tokens.spend(clock.millis(), tpm, tokens);
            }
            if (shared != null) {
                shared.spendTokens(key.id(), plan, tokens);
            }
        }

        /** Frees the slot; later calls do nothing. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                state.inFlight.decrementAndGet();
            }
        }
    }
}
