package yunjing.proxy.llm;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;

/**
 * The edge's exact-match answer cache: {@link AnswerKey} → {@link ChatAnswer}, in memory, bounded in bytes
 * (Caffeine's size-based eviction by weight) and by age ({@code expireAfterWrite}). Thread-safe.
 */
public final class AnswerCache {

    /** Defaults of a node: 64 MiB of answers, each kept 10 minutes. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

    /** A larger answer is not stored: it would crowd out many ordinary ones. */
    static final int MAX_ANSWER_BYTES = 1 << 20;

    private final Cache<String, ChatAnswer> answers;

    public AnswerCache(long maxBytes, Duration ttl, Ticker ticker) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
        }
        answers = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String key, ChatAnswer answer) -> answer.weight())
                .expireAfterWrite(ttl)
                .ticker(ticker)
                .executor(Runnable::run)   // maintenance on the caller: no pool threads, deterministic in tests
                .build();
    }

    public static AnswerCache withDefaults() {
        return new AnswerCache(DEFAULT_MAX_BYTES, DEFAULT_TTL, Ticker.systemTicker());
    }

    ChatAnswer get(String key) {
        return answers.getIfPresent(key);
    }

    /** Stores an answer unless it is larger than {@link #MAX_ANSWER_BYTES}; returns whether it did. */
    boolean put(String key, ChatAnswer answer) {
        if (answer.weight() > MAX_ANSWER_BYTES) {
            return false;
        }
        answers.put(key, answer);
        return true;
    }

    /** Entries now (approximate, as Caffeine's estimatedSize). */
    public long size() {
        return answers.estimatedSize();
    }
}
