package yunjing.proxy.llm;

/**
 * A per-minute limit of one key: a bucket of {@code perMinute} tokens, refilled continuously at
 * {@code perMinute / 60} per second, starting full. Requests per minute take one token per request;
 * tokens per minute {@link #spend} what the origin reports after the fact, so that bucket may go below
 * zero (a debt paid back by the refill before the next request is admitted). Not thread-safe:
 * {@link ApiGate} guards it.
 */
final class TokenBucket {

    private double tokens;
    private boolean started;   // false: not yet used, starts full
    private long lastMillis;

    /**
     * Takes one token if there is one.
     *
     * @param perMinute the plan's current rate (a changed plan takes effect at once; tokens above a lower
     *                  capacity are dropped)
     * @return 0 when a token was taken, else the milliseconds until one will be there (&gt; 0)
     */
    long tryTake(long nowMillis, int perMinute) {
        refill(nowMillis, perMinute);
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        double perMilli = perMinute / 60_000.0;
        return Math.max(1, (long) Math.ceil((1 - tokens) / perMilli));
    }

    /** Whether a token is there now, without taking it. */
    boolean hasToken(long nowMillis, int perMinute) {
        refill(nowMillis, perMinute);
        return tokens >= 1;
    }

    /** Whole tokens there now (0 when in debt), taking nothing. */
    long available(long nowMillis, int perMinute) {
        refill(nowMillis, perMinute);
        return Math.max(0, (long) Math.floor(tokens));
    }

    /** Takes {@code amount} tokens, going into debt when there are fewer; a negative amount gives back. */
    void spend(long nowMillis, int perMinute, long amount) {
        refill(nowMillis, perMinute);
        tokens -= amount;
    }

    /** 0 when a token is there now, else the milliseconds until one will be (&gt; 0). Takes nothing. */
    long millisUntilToken(long nowMillis, int perMinute) {
        refill(nowMillis, perMinute);
        if (tokens >= 1) {
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / (perMinute / 60_000.0)));
    }

    private void refill(long nowMillis, int perMinute) {
        if (!started) {
            started = true;
            tokens = perMinute;
        } else if (nowMillis > lastMillis) {
            tokens = Math.min(perMinute, tokens + (nowMillis - lastMillis) * (perMinute / 60_000.0));
        } else {
            tokens = Math.min(perMinute, tokens);
        }
        lastMillis = Math.max(lastMillis, nowMillis);
    }
}
