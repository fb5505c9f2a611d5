package yunjing.sync.rollout;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CanarySoakTest {

    @Test
    void promotes_onlyAfterTheWholeSoakHealthy_andAnyUnhealthyLookOrNewRevisionStartsOver() {
        Instant[] now = {Instant.parse("2026-11-22T12:00:00Z")};
        CanarySoak soak = new CanarySoak(Duration.ofMinutes(10), () -> now[0]);

        assertFalse(soak.observe("a/m", "r1", true), "first healthy look starts the soak");
        now[0] = now[0].plus(Duration.ofMinutes(9));
        assertFalse(soak.observe("a/m", "r1", true));
        assertEquals(Duration.ofMinutes(9), soak.healthyFor("a/m"));
        now[0] = now[0].plus(Duration.ofMinutes(1));
        assertTrue(soak.observe("a/m", "r1", true), "10 minutes healthy");

        now[0] = now[0].plus(Duration.ofMinutes(1));
        assertFalse(soak.observe("a/m", "r1", false), "a canary fell behind or stopped being ready");
        assertNull(soak.healthyFor("a/m"));
        assertFalse(soak.observe("a/m", "r1", true));
        now[0] = now[0].plus(Duration.ofMinutes(10));
        assertFalse(soak.observe("a/m", "r2", true), "another canary revision starts over");
        now[0] = now[0].plus(Duration.ofMinutes(10));
        assertTrue(soak.observe("a/m", "r2", true));
        assertFalse(soak.observe("b/m", "r9", true), "repositories are soaked apart");

        soak.forget("a/m");
        assertFalse(soak.observe("a/m", "r2", true));
        assertThrows(IllegalArgumentException.class, () -> new CanarySoak(Duration.ZERO, () -> now[0]));
    }
}
