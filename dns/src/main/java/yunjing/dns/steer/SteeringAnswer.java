package yunjing.dns.steer;

import yunjing.dns.DnsTarget;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link SteeringPolicy} chose.
 *
 * @param addresses   addresses to answer with, in the order given; empty for "none of this family"
 * @param ttlSeconds  TTL of the answer records
 * @param failOpen    true when no candidate was healthy and the answer ignores health
 * @param rule        the rule that decided, for metrics: e.g. {@code health}, {@code carrier+province},
 *                    {@code fail-open}, {@code no-targets}
 * @param scopePrefix the answer is the same for every client in the client's block of this prefix
 *                    length: the SCOPE PREFIX-LENGTH an ECS response may claim (RFC 7871 section
 *                    7.2.1) before it is capped to the query's source prefix; 0 when the answer
 *                    does not depend on the client
 */
public record SteeringAnswer(List<InetAddress> addresses, long ttlSeconds, boolean failOpen, String rule,
        int scopePrefix) {

    /** No target of the query's family: NODATA, the same for every client. */
    public static final SteeringAnswer NONE = new SteeringAnswer(List.of(), 0, false, "no-targets", 0);

    public SteeringAnswer {
        addresses = List.copyOf(addresses);
        Objects.requireNonNull(rule, "rule");
        if (ttlSeconds < 0) {
            throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: >= 0)");
        }
        if (scopePrefix < 0 || scopePrefix > 128) {
            throw new IllegalArgumentException("scopePrefix: " + scopePrefix + " (expected: 0–128)");
        }
    }

    /** An answer that does not depend on the client: rule {@code health} (or {@code fail-open}), scope 0. */
    public SteeringAnswer(List<InetAddress> addresses, long ttlSeconds, boolean failOpen) {
        this(addresses, ttlSeconds, failOpen, failOpen ? "fail-open" : "health", 0);
    }

    /** The addresses of {@code picked}, in order, without copying them twice (this runs per query). */
    static SteeringAnswer of(List<DnsTarget> picked, long ttl, boolean failOpen, String rule, int scope) {
        // Immutable already: the constructor's List.copyOf keeps it instead of copying. The one- and
        // two-address forms copy no array (most answers: maxAnswers is 2 by default).
        List<InetAddress> addresses = switch (picked.size()) {
            case 0 -> List.of();
            case 1 -> List.of(picked.get(0).address());
            case 2 -> List.of(picked.get(0).address(), picked.get(1).address());
            default -> picked.stream().map(DnsTarget::address).toList();
        };
        return new SteeringAnswer(addresses, ttl, failOpen, rule, scope);
    }

    /** The limits every policy is built with: a positive TTL and at least one address per answer. */
    static void checkLimits(long ttlSeconds, int maxAnswers) {
        if (ttlSeconds <= 0) {
            throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: > 0)");
        }
        if (maxAnswers <= 0) {
            throw new IllegalArgumentException("maxAnswers: " + maxAnswers + " (expected: > 0)");
        }
    }
}
