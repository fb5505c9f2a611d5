package yunjing.dns.steer;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.steer.WeightedRotationTest.target;

class HealthWeightedPolicyTest {

    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final List<DnsTarget> targets = List.of(target("a", "192.0.2.1", 1), target("b", "192.0.2.2", 1),
            target("c", "192.0.2.3", 1), target("v6", "2001:db8::1", 1));
    private final HealthWeightedPolicy policy = new HealthWeightedPolicy(targets, id -> !down.contains(id), 30, 2);

    private SteeringAnswer steer(int type) {
        return policy.steer(new SteeringQuery(Name.root, type, null, null));
    }

    @Test
    void answersOnlyHealthyTargetsOfTheFamilyWithTheConfiguredTtl() throws Exception {
        down.add("b");
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            SteeringAnswer answer = steer(Type.A);
            assertEquals(2, answer.addresses().size());
            assertEquals(30, answer.ttlSeconds());
            assertFalse(answer.failOpen());
            seen.addAll(answer.addresses());
        }
        assertEquals(Set.of(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.3")), seen);
    }

    @Test
    void failsOpenWithShortTtlWhenNoTargetIsHealthy() {
        down.addAll(List.of("a", "b", "c"));
        SteeringAnswer answer = steer(Type.A);
        assertTrue(answer.failOpen());
        assertEquals(2, answer.addresses().size());
        assertEquals(15, answer.ttlSeconds());
    }

    @Test
    void aaaaUsesTheIpv6TargetsOnly() throws Exception {
        assertEquals(List.of(InetAddress.getByName("2001:db8::1")), steer(Type.AAAA).addresses());
    }

    @Test
    void familyWithoutTargetsGivesNone() {
        HealthWeightedPolicy v4only = new HealthWeightedPolicy(targets.subList(0, 3), id -> true, 30, 2);
        assertEquals(SteeringAnswer.NONE, v4only.steer(new SteeringQuery(Name.root, Type.AAAA, null, null)));
    }

    private static SteeringQuery from(String source) throws Exception {
        return new SteeringQuery(Name.root, Type.A, new java.net.InetSocketAddress(InetAddress.getByName(source), 53),
                null);
    }

    @Test
    void withRtt_theBlocksFastestHealthyTargetComesFirst_withHysteresis() throws Exception {
        RttTable rtt = RttTable.withoutLocation();
        HealthWeightedPolicy ranked = new HealthWeightedPolicy(targets, id -> !down.contains(id), 30, 2, rtt);
        SteeringAnswer unmeasured = ranked.steer(from("198.51.100.7"));
        assertEquals("health", unmeasured.rule());
        assertEquals(0, unmeasured.scopePrefix(), "nothing measured anywhere: the same answer for every client");

        rtt.record("a", InetAddress.getByName("198.51.100.1"), 40, 5);
        rtt.record("c", InetAddress.getByName("198.51.100.1"), 20, 5);
        for (int i = 0; i < 5; i++) {
            SteeringAnswer a = ranked.steer(from("198.51.100.7"));
            assertEquals("health+rtt", a.rule());
            assertEquals(24, a.scopePrefix());
            assertEquals(InetAddress.getByName("192.0.2.3"), a.addresses().get(0), "c is fastest for this /24");
            assertEquals(2, a.addresses().size());
        }
        // Another block has no measurements: the weighted spread, scoped since blocks differ now.
        SteeringAnswer other = ranked.steer(from("203.0.113.9"));
        assertEquals("health", other.rule());
        assertEquals(24, other.scopePrefix());

        // a gets a little faster than c: not enough to flap (20 % and 5 ms).
        for (int i = 0; i < 30; i++) {
            rtt.record("a", InetAddress.getByName("198.51.100.1"), 18, 5);
        }
        assertEquals(InetAddress.getByName("192.0.2.3"), ranked.steer(from("198.51.100.7")).addresses().get(0));
        // c goes down: the next healthy measured target leads.
        down.add("c");
        assertEquals(InetAddress.getByName("192.0.2.1"), ranked.steer(from("198.51.100.7")).addresses().get(0));
    }
}
