package yunjing.deploy.run;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BudgetOwnersTest {

    @Test
    void oneCentralOwnsEveryKey() {
        BudgetOwners<String> owners = new BudgetOwners<>(Map.of("bj-central", "http://bj/lease"));
        for (int i = 0; i < 50; i++) {
            assertEquals("http://bj/lease", owners.ownerOf("key-" + i));
        }
    }

    @Test
    void keysSpreadOverCentrals_andAddingOneMovesOnlyTheKeysItWins() {
        List<String> three = List.of("bj-central", "sh-central", "gz-central");
        List<String> four = List.of("bj-central", "sh-central", "gz-central", "wh-central");
        Map<String, Integer> load = new HashMap<>();
        int moved = 0;
        for (int i = 0; i < 3000; i++) {
            String key = "key-" + i;
            String before = BudgetOwners.ownerId(key, three);
            String after = BudgetOwners.ownerId(key, four);
            load.merge(before, 1, Integer::sum);
            if (!before.equals(after)) {
                assertEquals("wh-central", after, "a key moves only to the new central");
                moved++;
            }
        }
        for (String central : three) {
            assertTrue(load.get(central) > 800 && load.get(central) < 1200, central + " owns " + load.get(central));
        }
        assertTrue(moved > 500 && moved < 1000, "about a quarter moved: " + moved);
    }

    @Test
    void theOwnerDoesNotDependOnTheOrderOfTheCentrals() {
        for (int i = 0; i < 100; i++) {
            assertEquals(BudgetOwners.ownerId("k" + i, List.of("a", "b", "c")),
                    BudgetOwners.ownerId("k" + i, List.of("c", "a", "b")));
        }
    }

    @Test
    void noCentral_isAnError() {
        assertThrows(IllegalArgumentException.class, () -> new BudgetOwners<>(Map.of()));
    }
}
