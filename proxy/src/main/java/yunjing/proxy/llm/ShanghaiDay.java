package yunjing.proxy.llm;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

/** Calendar days in Asia/Shanghai (UTC+8, no daylight saving), where daily quotas reset at 00:00. */
final class ShanghaiDay {

    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");

    private ShanghaiDay() {
    }

    /** The day {@code now} falls in, as an epoch day number. */
    static long of(Instant now) {
        return LocalDate.ofInstant(now, ZONE).toEpochDay();
    }

    /** Time from {@code now} to the next 00:00 in Asia/Shanghai (&gt; 0; a full day at exactly midnight). */
    static Duration untilMidnight(Instant now) {
        Instant next = LocalDate.ofInstant(now, ZONE).plusDays(1).atStartOfDay(ZONE).toInstant();
        return Duration.between(now, next);
    }
}
