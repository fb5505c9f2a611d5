package yunjing.origin.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopMatcherTest {

    @Test
    void stopStringSplitOverTokens_endsOutputBeforeIt() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("hello ", m.push("hello E"));
        assertFalse(m.stopped());
        assertEquals("", m.push("N"));
        assertEquals("", m.push("D and more"));
        assertTrue(m.stopped());
    }

    @Test
    void heldPrefix_isReleasedWhenItStopsMatching() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("a", m.push("aEN"));
        assertEquals("ENx", m.push("x"));
        assertFalse(m.stopped());
    }

    @Test
    void earliestOfSeveralStops_wins() {
        StopMatcher m = new StopMatcher(List.of("world", "lo"));
        assertEquals("hel", m.push("hello world"));
        assertTrue(m.stopped());
    }

    @Test
    void flush_returnsHeldTextWhenGenerationEndsOtherwise() {
        StopMatcher m = new StopMatcher(List.of("\n\n"));
        assertEquals("line", m.push("line\n"));
        assertEquals("\n", m.flush());
    }

    @Test
    void noStops_passesEverythingThrough() {
        StopMatcher m = new StopMatcher(List.of());
        assertEquals("abc", m.push("abc"));
        assertEquals("", m.flush());
    }
}
