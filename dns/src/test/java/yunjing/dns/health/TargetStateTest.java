package yunjing.dns.health;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TargetStateTest {

    @Test
    void unknownTargetCountsAsHealthy() {
        TargetState state = new TargetState(3);
        assertEquals(TargetState.Status.UNKNOWN, state.status());
        assertTrue(state.healthy());
    }

    @Test
    void goesDownOnlyAfterTheConfiguredConsecutiveFailures() {
        TargetState state = new TargetState(3);
        state.record(true);
        assertNull(state.record(false));
        assertNull(state.record(false));
        assertTrue(state.healthy());
        assertEquals(TargetState.Status.UP, state.record(false), "third failure reports the change from UP");
        assertFalse(state.healthy());
    }

    @Test
    void successInBetweenResetsTheCount() {
        TargetState state = new TargetState(2);
        state.record(false);
        state.record(true);
        state.record(false);
        assertTrue(state.healthy());
    }

    @Test
    void comesBackAfterOneSuccess() {
        TargetState state = new TargetState(1);
        state.record(false);
        assertFalse(state.healthy());
        assertEquals(TargetState.Status.DOWN, state.record(true));
        assertTrue(state.healthy());
    }

    @Test
    void comesBackOnlyAfterTheConfiguredConsecutiveSuccesses() {
        TargetState state = new TargetState(1, 2);
        state.record(false);
        assertFalse(state.healthy());
        assertNull(state.record(true), "one success is not enough");
        assertFalse(state.healthy());
        assertEquals(TargetState.Status.DOWN, state.record(true));
        assertTrue(state.healthy());
    }

    @Test
    void failureBetweenSuccessesRestartsTheCountUp() {
        TargetState state = new TargetState(1, 2);
        state.record(false);
        state.record(true);
        state.record(false);
        state.record(true);
        assertFalse(state.healthy());
        state.record(true);
        assertTrue(state.healthy());
    }

    @Test
    void firstSuccessFromUnknownIsEnough() {
        TargetState state = new TargetState(3, 2);
        assertEquals(TargetState.Status.UNKNOWN, state.record(true));
        assertEquals(TargetState.Status.UP, state.status());
    }

    @Test
    void restoredDownStaysDownUntilEnoughSuccesses() {
        TargetState state = new TargetState(3, 2);
        state.restore(TargetState.Status.DOWN);
        assertFalse(state.healthy());
        state.record(true);
        assertFalse(state.healthy());
        state.record(true);
        assertTrue(state.healthy());
    }
}
