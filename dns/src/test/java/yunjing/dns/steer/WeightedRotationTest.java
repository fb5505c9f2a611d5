package yunjing.dns.steer;

import org.junit.jupiter.api.Test;
import yunjing.dns.DnsTarget;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightedRotationTest {

    static DnsTarget target(String id, String address, int weight) {
        try {
            return new DnsTarget(id, InetAddress.getByName(address), null, null, weight, null);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void firstAnswerFollowsWeightsOverAFullTurn() {
        List<DnsTarget> targets = List.of(target("a", "192.0.2.1", 3), target("b", "192.0.2.2", 1),
                target("c", "192.0.2.3", 2));
        WeightedRotation rotation = new WeightedRotation();
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 600; i++) {
            first.merge(rotation.pick(targets, 2).get(0).id(), 1, Integer::sum);
        }
        assertEquals(Map.of("a", 300, "b", 100, "c", 200), first);
    }

    @Test
    void picksDistinctTargetsUpToTheLimit() {
        List<DnsTarget> targets = List.of(target("a", "192.0.2.1", 5), target("b", "192.0.2.2", 1));
        WeightedRotation rotation = new WeightedRotation();
        for (int i = 0; i < 12; i++) {
            List<DnsTarget> picked = rotation.pick(targets, 3);
            assertEquals(2, picked.size(), "only two distinct targets exist");
            assertEquals(2, new HashSet<>(picked).size());
        }
        assertEquals(1, rotation.pick(targets, 1).size());
    }

    @Test
    void equalWeightsRotateTheFirstAnswer() {
        List<DnsTarget> targets = List.of(target("a", "192.0.2.1", 1), target("b", "192.0.2.2", 1));
        WeightedRotation rotation = new WeightedRotation();
        String first = rotation.pick(targets, 2).get(0).id();
        String second = rotation.pick(targets, 2).get(0).id();
        assertTrue(!first.equals(second), "consecutive queries lead with different targets");
    }

    @Test
    void heavyWeightsAreReducedByTheirCommonDivisor() {
        List<DnsTarget> targets = List.of(target("a", "192.0.2.1", 1000), target("b", "192.0.2.2", 1000));
        WeightedRotation rotation = new WeightedRotation();
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            first.merge(rotation.pick(targets, 1).get(0).id(), 1, Integer::sum);
        }
        assertEquals(Map.of("a", 2, "b", 2), first, "a wheel of 2 slots, not 2000");
    }

    @Test
    void emptyCandidatesGiveNothing() {
        assertEquals(List.of(), new WeightedRotation().pick(List.of(), 2));
    }
}
