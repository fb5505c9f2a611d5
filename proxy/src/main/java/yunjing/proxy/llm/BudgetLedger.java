package yunjing.proxy.llm;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The authoritative budgets of the keys this node owns (a central node): per key id a requests-per-minute
 * bucket and the day's request count (reset at 00:00 Asia/Shanghai), from which edges lease slices.
 * Thread-safe.
 *
 * <p>A grant is charged at once; what an edge then did not spend comes back in its next request
 * ({@link LeaseMessages.Ask#returned()}), and what it admitted while it had no slice is charged late
 * ({@link LeaseMessages.Ask#used()}, which may take the bucket below zero: a debt the refill pays back).
 *
 * <p>Tokens per minute: a per-key bucket of {@code tpm} (refilled {@code tpm/60} per second) is charged the
 * tokens each edge reports ({@link LeaseMessages.Ask#tokens()}, known only after the answers), so it too may
 * go into debt; every answer says how long until that debt is paid ({@code tokens_retry_after_s}).
 */
public final class BudgetLedger {

    /** How long a slice is good for; unspent requests are returned after it. */
    public static final long SLICE_TTL_MILLIS = 5_000;

    private final Clock clock;
    private final Map<String, KeyBudget> budgets = new ConcurrentHashMap<>();

    public BudgetLedger(Clock clock) {
        this.clock = clock;
    }

    /** The JSON of {@link LeaseMessages} in and out: the owner's admin endpoint. */
    public String handle(String askJson) {
        return grant(LeaseMessages.Ask.parse(askJson)).toJson();
    }

    /** Settles what the edge reports, then grants up to {@code want}, what the minute and the day have left. */
    public LeaseMessages.Grant grant(LeaseMessages.Ask ask) {
        Instant now = clock.instant();
        long millis = now.toEpochMilli();
        int rpm = ask.requestsPerMinute();
        KeyBudget b = budgets.computeIfAbsent(ask.keyId(), id -> new KeyBudget());
        synchronized (b) {
            long day = ShanghaiDay.of(now);
            if (b.day != day) {
                b.day = day;
                b.today = 0;
            }
            long tokensWait = 0;
            if (ask.tokensPerMinute() > 0) {
                b.tokens.spend(millis, ask.tokensPerMinute(), ask.tokens());
                tokensWait = b.tokens.millisUntilToken(millis, ask.tokensPerMinute());
            }
            long tokensRetry = tokensWait == 0 ? 0 : Math.max(1, (tokensWait + 999) / 1000);
            b.minute.spend(millis, rpm, (long) ask.used() - ask.returned());
            b.today = Math.max(0, b.today + ask.used() - ask.returned());
            long dayLeft = Math.max(0, (long) ask.requestsPerDay() - b.today);
            int granted = (int) Math.min(ask.want(), Math.min(b.minute.available(millis, rpm), dayLeft));
            if (granted > 0) {
                b.minute.spend(millis, rpm, granted);
                b.today += granted;
                return new LeaseMessages.Grant(granted, SLICE_TTL_MILLIS, 0, null, tokensRetry);
            }
            if (ask.want() == 0) {   // a report of tokens only
                return new LeaseMessages.Grant(0, SLICE_TTL_MILLIS, 0, null, tokensRetry);
            }
            if (dayLeft == 0) {
                long seconds = Math.max(1, (ShanghaiDay.untilMidnight(now).toMillis() + 999) / 1000);
                return new LeaseMessages.Grant(0, SLICE_TTL_MILLIS, seconds, "rpd", tokensRetry);
            }
            long wait = b.minute.millisUntilToken(millis, rpm);
            return new LeaseMessages.Grant(0, SLICE_TTL_MILLIS, Math.max(1, (wait + 999) / 1000), "rpm",
                    tokensRetry);
        }
    }

    /** Requests of {@code keyId} counted today (granted or reported, less those given back). */
    public long countedToday(String keyId) {
        KeyBudget b = budgets.get(keyId);
        if (b == null) {
            return 0;
        }
        synchronized (b) {
            return b.day == ShanghaiDay.of(clock.instant()) ? b.today : 0;
        }
    }

    /** One key's budget; guarded by itself. */
    private static final class KeyBudget {
        final TokenBucket minute = new TokenBucket();
        final TokenBucket tokens = new TokenBucket();
        long day = Long.MIN_VALUE;
        long today;
    }
}
