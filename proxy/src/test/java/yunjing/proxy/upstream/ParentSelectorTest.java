package yunjing.proxy.upstream;

import org.junit.jupiter.api.Test;
import yunjing.proxy.ParentConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParentSelectorTest {

    private static final int KEYS = 20_000;

    private final AtomicLong clock = new AtomicLong();

    @Test
    void keysSpreadEvenlyOverTheParents() {
        List<ParentConfig> parents = parents("r", 8);
        ParentSelector selector = selector(parents, List.of(), id -> true);
        Map<String, Integer> homes = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            homes.merge(selector.order(key(i)).getFirst(), 1, Integer::sum);
        }
        assertEquals(8, homes.size());
        double mean = KEYS / 8.0;
        // Binomial standard deviation is ~47 here; 15% (375) is far outside chance.
        homes.forEach((id, n) -> assertTrue(Math.abs(n - mean) < 0.15 * mean, id + " got " + n + " keys"));
    }

    @Test
    void removingAParent_movesOnlyItsOwnKeys_toTheirSecondChoice() {
        List<ParentConfig> all = parents("r", 5);
        ParentSelector before = selector(all, List.of(), id -> true);
        ParentSelector after = selector(all.subList(1, 5), List.of(), id -> true);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            List<String> order = before.order(key(i));
            String nowHome = after.order(key(i)).getFirst();
            if (order.getFirst().equals("r0")) {
                moved++;
                assertEquals(order.get(1), nowHome, "an orphaned key goes to its second choice");
            } else {
                assertEquals(order.getFirst(), nowHome, "a key of a remaining parent stays put");
            }
        }
        assertTrue(moved > KEYS / 10 && moved < KEYS * 3 / 10, "about a fifth of the keys moved: " + moved);
    }

    @Test
    void unhealthyParent_isPassedOver_andOnlyItsKeysMove_andItStaysALastResort() {
        List<ParentConfig> all = parents("r", 4);
        ParentSelector healthyAll = selector(all, List.of(), id -> true);
        ParentSelector r2Down = selector(all, List.of(), id -> !id.equals("r2"));
        for (int i = 0; i < 2000; i++) {
            List<String> full = healthyAll.order(key(i));
            List<String> order = r2Down.order(key(i));
            assertEquals("r2", order.getLast(), "down parents come last");
            List<String> expected = new ArrayList<>(full);
            expected.remove("r2");
            expected.add("r2");
            assertEquals(expected, order);
        }
    }

    @Test
    void sameKey_sameOrder_everyTime() {
        ParentSelector selector = selector(parents("r", 3), List.of(), id -> true);
        List<String> first = selector.order("cdn.example.com/models/a.safetensors");
        for (int i = 0; i < 100; i++) {
            assertEquals(first, selector.order("cdn.example.com/models/a.safetensors"));
        }
    }

    @Test
    void overloadedHome_isMovedBehindItsTier_untilTheLoadIsWithinBound() {
        ParentSelector selector = selector(parents("r", 3), List.of(), id -> true);
        String key = key(7);
        List<String> order = selector.order(key);
        UpstreamParent home = selector.parent(order.getFirst());
        UpstreamParent second = selector.parent(order.get(1));

        // total 4 in flight (home 2, second 1, third 1): capacity ceil(1.25 × 5 / 3) = 3; home is under it.
        home.exchangeStarted();
        home.exchangeStarted();
        second.exchangeStarted();
        selector.parent(order.get(2)).exchangeStarted();
        assertEquals(order, selector.order(key));

        // home 3 of 5: capacity ceil(1.25 × 6 / 3) = 3, reached: home goes last, the others keep their order.
        home.exchangeStarted();
        assertEquals(List.of(order.get(1), order.get(2), order.get(0)), selector.order(key));

        home.exchangeEnded();
        assertEquals(order, selector.order(key), "back home once the load drops");
    }

    @Test
    void boundedLoad_keepsEveryParentWithinTheBound_underSkewedKeys() {
        ParentSelector selector = selector(parents("r", 4), List.of(), id -> true);
        // 400 exchanges in flight, all for one hot key: the bound spreads them.
        for (int i = 0; i < 400; i++) {
            selector.candidates("hot-key").getFirst().exchangeStarted();
        }
        for (String id : List.of("r0", "r1", "r2", "r3")) {
            int load = selector.parent(id).inFlight();
            assertTrue(load <= Math.ceil(ParentSelector.LOAD_FACTOR * 400 / 4), id + " carries " + load);
        }
    }

    @Test
    void grandparentsComeAfterTheHealthyParents_andDownParentsLast() {
        List<ParentConfig> regionals = parents("r", 2);
        List<ParentConfig> centrals = parents("c", 2);
        ParentSelector selector = selector(regionals, centrals, id -> !id.equals("r1"));
        for (int i = 0; i < 200; i++) {
            List<String> order = selector.order(key(i));
            assertEquals("r0", order.get(0));
            assertEquals(Set.of("c0", "c1"), Set.of(order.get(1), order.get(2)));
            assertEquals("r1", order.get(3));
        }
    }

    @Test
    void grandparentThatIsAlsoAParent_isListedOnce() {
        List<ParentConfig> regionals = parents("r", 2);
        ParentSelector selector = selector(regionals, List.of(regionals.get(0), parent("c0")), id -> true);
        List<String> order = selector.order("k");
        assertEquals(3, order.size());
        assertEquals(3, new HashSet<>(order).size());
        assertEquals("c0", order.getLast());
    }

    @Test
    void openBreaker_takesTheParentOut_untilItsHalfOpenTrialIsDue() {
        ParentSelector selector = selector(parents("r", 2), List.of(), id -> true);
        String key = key(3);
        String home = selector.order(key).getFirst();
        for (int i = 0; i < CircuitBreaker.FAILURES_TO_OPEN; i++) {
            selector.parent(home).breaker().onFailure();
        }
        assertFalse(selector.order(key).contains(home));
        assertEquals(2, selector.circuitState(home));

        clock.addAndGet(CircuitBreaker.OPEN_NANOS);
        assertEquals(home, selector.order(key).getFirst(), "due for its trial: a candidate again, in hash order");
        assertTrue(selector.parent(home).breaker().tryAcquire());
        assertEquals(1, selector.circuitState(home));
        assertNotEquals(home, selector.order(key).getFirst(), "one trial at a time");
    }

    private ParentSelector selector(List<ParentConfig> parents, List<ParentConfig> grandparents,
            java.util.function.Predicate<String> healthy) {
        return new ParentSelector(parents, grandparents, healthy, clock::get);
    }

    private static String key(int i) {
        return "cdn.example.com/objects/" + i + ".bin";
    }

    private static List<ParentConfig> parents(String prefix, int n) {
        List<ParentConfig> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(parent(prefix + i));
        }
        return out;
    }

    private static ParentConfig parent(String id) {
        return new ParentConfig(id, new InetSocketAddress("127.0.0.1", 1), URI.create("http://127.0.0.1:1/readyz"));
    }
}
