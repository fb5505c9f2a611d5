package yunjing.proxy.cache;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SliceBudgetTest {

    @Test
    void fillsThatDoNotFit_waitInOrder_andStartAsBytesAreGivenBack() {
        SliceBudget budget = new SliceBudget(10);
        List<String> started = new ArrayList<>();
        budget.take(6, () -> started.add("a"));
        budget.take(6, () -> started.add("b"));
        budget.take(2, () -> started.add("c")); // fits, but b waits before it: first come, first served
        assertEquals(List.of("a"), started);
        assertFalse(budget.tryTake(1), "a read-ahead does not jump the queue");

        budget.give(6);
        assertEquals(List.of("a", "b", "c"), started);
        assertEquals(8, budget.used());
        budget.give(6);
        budget.give(2);
        assertEquals(0, budget.used());
        assertTrue(budget.tryTake(10));
    }

    @Test
    void aFillLargerThanTheWholeBudget_runsWhenNothingElseIsInFlight() {
        SliceBudget budget = new SliceBudget(4);
        List<String> started = new ArrayList<>();
        budget.take(1, () -> started.add("small"));
        budget.take(9, () -> started.add("huge"));
        assertEquals(List.of("small"), started);
        budget.give(1);
        assertEquals(List.of("small", "huge"), started);
        assertFalse(budget.tryTake(1));
        budget.give(9);
        assertEquals(0, budget.used());
    }
}
