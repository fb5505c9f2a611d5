package yunjing.sync.agent;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimiterTest {

    @Test
    void parse_takesBytesPerSecondWithBinarySuffixes() {
        assertEquals(500, RateLimiter.parse("500"));
        assertEquals(500 << 10, RateLimiter.parse("500K"));
        assertEquals(10L << 20, RateLimiter.parse("10M"));
        assertEquals(10L << 20, RateLimiter.parse("10mb/s"));
        assertEquals(3L << 29, RateLimiter.parse("1.5G"));
        for (String bad : new String[] {"", "0", "-1M", "ten", "10X", "M"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RateLimiter.parse(bad), bad);
            assertTrue(e.getMessage().contains("expected: bytes per second"), e.getMessage());
        }
    }

    @Test
    void reserve_letsABurstThrough_thenChargesTimeAtTheRate() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimiter limiter = new RateLimiter(1 << 20, now::get); // burst: 1/20 s, 52428 bytes
        int burst = (1 << 20) / 20;

        assertEquals(0, limiter.reserve(burst), "a full bucket");
        assertEquals(1_000_000_000L / 16, limiter.reserve(64 << 10), "the next 64 KiB waits 1/16 s");
        now.addAndGet(10_000_000_000L); // idle 10 s: the bucket refills to the burst, no more
        assertEquals(0, limiter.reserve(burst));
        assertTrue(limiter.reserve(1) > 0, "and is empty again");
    }

    @Test
    void throttle_holdsTwoReadersTogetherToTheRate() throws Exception {
        RateLimiter limiter = new RateLimiter(1 << 20);
        long t0 = System.nanoTime();
        Thread other = Thread.ofPlatform().start(() -> drain(limiter, 1 << 20));
        drain(limiter, 1 << 20);
        other.join();
        double seconds = (System.nanoTime() - t0) / 1e9;
        // 2 MiB at 1 MiB/s shared by both: 2 s less the 1/20 s burst.
        assertTrue(seconds >= 1.9 && seconds < 4, "took " + seconds + " s");
    }

    private static void drain(RateLimiter limiter, int bytes) {
        try (InputStream in = limiter.throttle(new ByteArrayInputStream(new byte[bytes]))) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
