package yunjing.dns.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Response rate limiting (RRL) for UDP, after BIND's: each client block (IPv4 /24, IPv6 /56, so a
 * spoofed flood against one victim network counts once) has a token bucket of
 * {@code responsesPerSecond} tokens refilled continuously, burst one second's worth. A response
 * without a token is <em>limited</em>: every {@code slip}-th limited response is sent truncated
 * (TC, no answer) instead of dropped, so a real client behind the block retries over TCP, which a
 * spoofer cannot; the others are dropped. The reflection gain of the server stays below 1.
 *
 * <p>Thread confinement: used only from the UDP channel's event loop; not thread-safe. Memory is
 * bounded: past {@value #MAX_BLOCKS} blocks, buckets idle for over a second (full again, so
 * forgetting them changes nothing) are swept, and if that is not enough the table is cleared.
 */
final class ResponseRateLimiter {

    enum Decision { SEND, SLIP, DROP }

    static final int MAX_BLOCKS = 65_536;
    private static final long IDLE_NANOS = 1_000_000_000L;

    private static final class Bucket {
        double tokens;
        long lastNanos;
        long limited;
    }

    private final double ratePerNano;
    private final double burst;
    private final int slip;
    private final Map<Long, Bucket> buckets = new HashMap<>();

    ResponseRateLimiter(int responsesPerSecond, int slip) {
        if (responsesPerSecond <= 0) {
            throw new IllegalArgumentException("responsesPerSecond: " + responsesPerSecond + " (expected: > 0)");
        }
        if (slip <= 0) {
            throw new IllegalArgumentException("slip: " + slip + " (expected: > 0)");
        }
        this.ratePerNano = responsesPerSecond / 1e9;
        this.burst = responsesPerSecond;
        this.slip = slip;
    }

    Decision check(InetAddress client, long nowNanos) {
        long key = blockKey(client);
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= MAX_BLOCKS) {
                sweep(nowNanos);
            }
            b = new Bucket();
            b.tokens = burst;
            b.lastNanos = nowNanos;
            buckets.put(key, b);
        }
        b.tokens = Math.min(burst, b.tokens + (nowNanos - b.lastNanos) * ratePerNano);
        b.lastNanos = nowNanos;
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return Decision.SEND;
        }
        b.limited++;
        return b.limited % slip == 0 ? Decision.SLIP : Decision.DROP;
    }

    int blocks() {
        return buckets.size();
    }

    private void sweep(long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().lastNanos > IDLE_NANOS) {
                it.remove();
            }
        }
        if (buckets.size() >= MAX_BLOCKS) {
            buckets.clear(); // under a wide spoofed flood: start over rather than grow
        }
    }

    /** IPv4: the /24, tagged above 56 bits; IPv6: the first 56 bits. */
    static long blockKey(InetAddress address) {
        byte[] a = address.getAddress();
        long key = 0;
        if (address instanceof Inet4Address) {
            for (int i = 0; i < 3; i++) {
                key = (key << 8) | (a[i] & 0xFF);
            }
            return key | (1L << 60);
        }
        for (int i = 0; i < 7; i++) {
            key = (key << 8) | (a[i] & 0xFF);
        }
        return key;
    }
}
