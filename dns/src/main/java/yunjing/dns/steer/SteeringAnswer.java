package yunjing.dns.steer;

import java.net.InetAddress;
import java.util.List;

/**
 * What a {@link SteeringPolicy} chose.
 *
 * @param addresses  addresses to answer with, in the order given; empty for "none of this family"
 * @param ttlSeconds TTL of the answer records
 * @param failOpen   true when no candidate was healthy and the answer ignores health
 */
public record SteeringAnswer(List<InetAddress> addresses, long ttlSeconds, boolean failOpen) {

    public static final SteeringAnswer NONE = new SteeringAnswer(List.of(), 0, false);

    public SteeringAnswer {
        addresses = List.copyOf(addresses);
        if (ttlSeconds < 0) {
            throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: >= 0)");
        }
    }
}
