package yunjing.dns.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Response rate limiting (RRL) for UDP, after BIND's: each client block (IPv4 /24, IPv6 /56, so a
 * spoofed flood against one victim network counts once) has a token bucket of
 * {@code responsesPerSecond} tokens refilled continuously, burst one second's worth. A response
 * without a token is <em>limited</em>: every {@code slip}-th limited response is sent truncated
 * (TC, no answer) instead of dropped, so a real client behind the block retries over TCP, which a
 * spoofer cannot; the others are dropped. The reflection gain of the server stays below 1.
 *
 * <p>Threads: shared by the UDP sockets of one listener (one per core with {@code SO_REUSEPORT}, where
 * the kernel spreads one client block's packets over every socket by source port), so it is
 * thread-safe: a concurrent table of buckets, each bucket updated under its own lock. Memory is
 * bounded: past {@value #MAX_BLOCKS} blocks, buckets idle for over a second (full again, so
 * forgetting them changes nothing) are swept by one thread at a time, and if that is not enough the
 * table is cleared.
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
    private final ConcurrentHashMap<Long, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();

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
        Long key = blockKey(client);
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= MAX_BLOCKS) {
                sweep(nowNanos);
            }
            Bucket fresh = new Bucket();
            fresh.tokens = burst;
            fresh.lastNanos = nowNanos;
            b = buckets.putIfAbsent(key, fresh);
            if (b == null) {
                b = fresh;
            }
        }
        synchronized (b) {
            // Another socket's thread may have read the clock a moment earlier and updated last.
            long elapsed = Math.max(0, nowNanos - b.lastNanos);
            b.tokens = Math.min(burst, b.tokens + elapsed * ratePerNano);
            b.lastNanos = Math.max(b.lastNanos, nowNanos);
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return Decision.SEND;
            }
            b.limited++;
            return b.limited % slip == 0 ? Decision.SLIP : Decision.DROP;
        }
    }

    int blocks() {
        return buckets.size();
    }

    private void sweep(long nowNanos) {
        if (!sweeping.compareAndSet(false, true)) {
            return; // another thread sweeps; the table may overshoot by what arrives meanwhile
        }
        try {
            for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
                Bucket b = it.next();
                long last;
                synchronized (b) {
                    last = b.lastNanos;
                }
                if (nowNanos - last > IDLE_NANOS) {
                    it.remove();
                }
            }
            if (buckets.size() >= MAX_BLOCKS) {
                buckets.clear(); // under a wide spoofed flood: start over rather than grow
            }
        } finally {
            sweeping.set(false);
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
