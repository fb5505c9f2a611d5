package yunjing.proxy.llm;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ShanghaiDayTest {

    @Test
    void untilMidnight_isMeasuredInUtcPlus8() {
        // 15:59:30 UTC is 23:59:30 in Shanghai.
        assertEquals(Duration.ofSeconds(30), ShanghaiDay.untilMidnight(Instant.parse("2026-11-22T15:59:30Z")));
        // 16:00 UTC is exactly 00:00 in Shanghai: the next reset is a full day away.
        assertEquals(Duration.ofDays(1), ShanghaiDay.untilMidnight(Instant.parse("2026-11-22T16:00:00Z")));
        assertEquals(Duration.ofHours(16), ShanghaiDay.untilMidnight(Instant.parse("2026-11-23T00:00:00Z")));
    }

    @Test
    void dayChangesAt1600Utc() {
        long before = ShanghaiDay.of(Instant.parse("2026-11-22T15:59:59Z"));
        long after = ShanghaiDay.of(Instant.parse("2026-11-22T16:00:00Z"));
        assertEquals(before + 1, after);
        assertEquals(after, ShanghaiDay.of(Instant.parse("2026-11-23T15:59:59Z")));
    }
}
