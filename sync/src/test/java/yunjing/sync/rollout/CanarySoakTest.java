package yunjing.sync.rollout;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CanarySoakTest {

    /** A clock the test moves. */
    static final class StepClock extends Clock {
        Instant now = Instant.parse("2026-11-22T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void promotes_onlyAfterTheWholeSoakHealthy_andAnyUnhealthyLookOrNewRevisionStartsOver() {
        StepClock clock = new StepClock();
        CanarySoak soak = new CanarySoak(Duration.ofMinutes(10), clock);

        assertFalse(soak.observe("a/m", "r1", true), "first healthy look starts the soak");
        clock.advance(Duration.ofMinutes(9));
        assertFalse(soak.observe("a/m", "r1", true));
        assertEquals(Duration.ofMinutes(9), soak.healthyFor("a/m"));
        clock.advance(Duration.ofMinutes(1));
        assertTrue(soak.observe("a/m", "r1", true), "10 minutes healthy");

        clock.advance(Duration.ofMinutes(1));
        assertFalse(soak.observe("a/m", "r1", false), "a canary fell behind or stopped being ready");
        assertNull(soak.healthyFor("a/m"));
        assertFalse(soak.observe("a/m", "r1", true));
        clock.advance(Duration.ofMinutes(10));
        assertFalse(soak.observe("a/m", "r2", true), "another canary revision starts over");
        clock.advance(Duration.ofMinutes(10));
        assertTrue(soak.observe("a/m", "r2", true));
        assertFalse(soak.observe("b/m", "r9", true), "repositories are soaked apart");

        soak.forget("a/m");
        assertFalse(soak.observe("a/m", "r2", true));
        assertThrows(IllegalArgumentException.class, () -> new CanarySoak(Duration.ZERO, clock));
    }
}
