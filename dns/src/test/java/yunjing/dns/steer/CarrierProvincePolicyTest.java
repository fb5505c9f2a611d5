package yunjing.dns.steer;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;
import yunjing.dns.locate.ClientLocator.Located;
import yunjing.dns.locate.Location;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group order and fallbacks, with a fake locator: client address → location and block prefix. */
class CarrierProvincePolicyTest {

    private static final InetSocketAddress RESOLVER = new InetSocketAddress(ip("192.0.2.53"), 5353);
    private static final InetAddress SH = ip("127.0.0.41");
    private static final InetAddress GZ = ip("127.0.0.42");
    private static final InetAddress BJ = ip("127.0.0.43");

    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, Located> locations = new HashMap<>();
    private final List<DnsTarget> targets = List.of(
            new DnsTarget("sh-telecom", SH, "SH", "telecom", 1, null),
            new DnsTarget("gz-unicom", GZ, "GD", "unicom", 1, null),
            new DnsTarget("bj-mobile", BJ, "BJ", "mobile", 1, null));
    private final CarrierProvincePolicy policy = new CarrierProvincePolicy(targets, id -> !down.contains(id),
            a -> locations.getOrDefault(a, new Located(Location.UNKNOWN, 0)), 30, 1);

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private void place(String client, String carrier, String province, int prefix) {
        locations.put(ip(client), new Located(new Location("CN", province, null, null, carrier, "test"), prefix));
    }

    /** An A query from RESOLVER carrying ECS {@code client/24}. */
    private SteeringAnswer steerFor(String client) {
        Message query = Message.newQuery(Record.newRecord(Name.root, Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, ip(client)))),
                Section.ADDITIONAL);
        return policy.steer(new SteeringQuery(Name.root, Type.A, RESOLVER, query));
    }

    @Test
    void sameCarrierSameProvinceFirst() {
        place("10.1.2.0", "unicom", "GD", 16);
        SteeringAnswer a = steerFor("10.1.2.0");
        assertEquals(List.of(GZ), a.addresses());
        assertEquals("carrier+province", a.rule());
        assertEquals(16, a.scopePrefix());
        assertEquals(30, a.ttlSeconds());
        assertFalse(a.failOpen());
    }

    @Test
    void sameCarrierSameRegionNext() {
        place("10.3.0.0", "telecom", "ZJ", 20); // Zhejiang: east, like Shanghai
        SteeringAnswer a = steerFor("10.3.0.0");
        assertEquals(List.of(SH), a.addresses());
        assertEquals("carrier+region", a.rule());
    }

    @Test
    void sameCarrierAnywhereBeforeSameProvince() {
        place("10.4.0.0", "mobile", "GD", 16); // Guangdong has a Unicom node, but carrier comes first
        SteeringAnswer a = steerFor("10.4.0.0");
        assertEquals(List.of(BJ), a.addresses());
        assertEquals("carrier", a.rule());
    }

    @Test
    void sameProvinceWhenNoTargetOfTheCarrier() {
        place("10.6.0.0", "edu", "GD", 16);
        SteeringAnswer a = steerFor("10.6.0.0");
        assertEquals(List.of(GZ), a.addresses());
        assertEquals("province", a.rule());
    }

    @Test
    void unknownClientGetsAnyHealthyTarget_spreadByRotation() {
        Set<InetAddress> seen = new java.util.HashSet<>();
        for (int i = 0; i < 3; i++) {
            SteeringAnswer a = steerFor("10.9.0.0");
            assertEquals("any", a.rule());
            seen.addAll(a.addresses());
        }
        assertEquals(Set.of(SH, GZ, BJ), seen);
    }

    @Test
    void downTargetLeavesItsGroup() {
        place("10.1.2.0", "unicom", "GD", 16);
        down.add("gz-unicom");
        SteeringAnswer a = steerFor("10.1.2.0");
        assertEquals("any", a.rule()); // no other Unicom node, none other in Guangdong
        assertTrue(Set.of(SH, BJ).containsAll(a.addresses()));
    }

    @Test
    void allDownFailsOpenWithShortTtlAndScopeZero() {
        place("10.1.2.0", "unicom", "GD", 16);
        down.addAll(List.of("sh-telecom", "gz-unicom", "bj-mobile"));
        SteeringAnswer a = steerFor("10.1.2.0");
        assertTrue(a.failOpen());
        assertEquals("fail-open", a.rule());
        assertEquals(15, a.ttlSeconds());
        assertEquals(0, a.scopePrefix());
        assertEquals(1, a.addresses().size());
    }

    @Test
    void operatorLineNodeWins() {
        locations.put(ip("10.7.0.0"), new Located(new Location(null, "SH", null, null, "telecom", "lines",
                "bj-mobile"), 16));
        SteeringAnswer a = steerFor("10.7.0.0");
        assertEquals(List.of(BJ), a.addresses());
        assertEquals("line-node", a.rule());
        down.add("bj-mobile");
        assertEquals(List.of(SH), steerFor("10.7.0.0").addresses()); // pinned node down: normal groups
    }

    @Test
    void withoutEcs_locatesTheResolver() {
        place("192.0.2.53", "telecom", "SH", 24);
        SteeringAnswer a = policy.steer(new SteeringQuery(Name.root, Type.A, RESOLVER,
                Message.newQuery(Record.newRecord(Name.root, Type.A, DClass.IN))));
        assertEquals(List.of(SH), a.addresses());
    }

    @Test
    void ecsSourcePrefixZero_locatesTheResolver() {
        place("192.0.2.53", "mobile", "BJ", 24);
        Message query = Message.newQuery(Record.newRecord(Name.root, Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(0, ip("0.0.0.0")))),
                Section.ADDITIONAL);
        assertEquals(List.of(BJ), policy.steer(new SteeringQuery(Name.root, Type.A, RESOLVER, query)).addresses());
    }

    @Test
    void familyWithoutTargetsGivesNone() {
        assertEquals(SteeringAnswer.NONE, policy.steer(new SteeringQuery(Name.root, Type.AAAA, RESOLVER, null)));
    }

    @Test
    void weightsSpreadInsideTheGroup() {
        CarrierProvincePolicy weighted = new CarrierProvincePolicy(List.of(
                new DnsTarget("sh1", SH, "SH", "telecom", 3, null),
                new DnsTarget("sh2", GZ, "SH", "telecom", 1, null),
                new DnsTarget("bj", BJ, "BJ", "mobile", 1, null)), id -> true,
                a -> new Located(new Location("CN", "SH", null, null, "telecom", "test"), 8), 30, 1);
        Map<InetAddress, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            InetAddress first = weighted.steer(new SteeringQuery(Name.root, Type.A, RESOLVER, null)).addresses().get(0);
            firsts.merge(first, 1, Integer::sum);
        }
        assertEquals(Map.of(SH, 30, GZ, 10), firsts);
    }
}
