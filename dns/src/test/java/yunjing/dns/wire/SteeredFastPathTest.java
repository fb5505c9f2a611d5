package yunjing.dns.wire;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;
import yunjing.dns.answer.Responder;
import yunjing.dns.locate.ClientLocator;
import yunjing.dns.locate.LocatorConfig;
import yunjing.dns.steer.CarrierProvincePolicy;
import yunjing.dns.steer.SteeringPolicy;
import yunjing.dns.testing.LocateFixtures;
import yunjing.dns.testing.TestZone;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/**
 * The fast path writes byte for byte what the general path writes: the same queries go to two
 * processors over identical fresh policies, one with the fast path and one without.
 */
class SteeredFastPathTest {

    private static final InetSocketAddress RESOLVER = new InetSocketAddress("192.0.2.53", 40000);

    @TempDir
    Path dir;

    private QueryProcessor processor(boolean fast, ClientLocator locator, SimpleMeterRegistry registry) throws Exception {
        List<DnsTarget> targets = List.of(
                new DnsTarget("sh", InetAddress.getByName("127.0.0.41"), "SH", "telecom", 1, null),
                new DnsTarget("sh2", InetAddress.getByName("127.0.0.44"), "SH", "telecom", 2, null),
                new DnsTarget("gz", InetAddress.getByName("127.0.0.42"), "GD", "unicom", 1, null),
                new DnsTarget("bj6", InetAddress.getByName("2001:db8::43"), "BJ", "mobile", 1, null));
        SteeringPolicy policy = new CarrierProvincePolicy(targets, id -> true, locator::lookup, 30, 2);
        Path zoneDir = java.nio.file.Files.createDirectories(dir.resolve(fast ? "fast" : "slow"));
        Responder responder = new Responder(TestZone.load(zoneDir), policy);
        return new QueryProcessor(() -> responder, new QueryMetrics(registry), fast);
    }

    private static byte[] query(Random random, String name) throws Exception {
        int type = random.nextInt(4) == 0 ? Type.AAAA : Type.A;
        Message q = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        q.getHeader().setID(random.nextInt(0x10000));
        if (random.nextBoolean()) {
            q.getHeader().unsetFlag(Flags.RD);
        }
        if (random.nextInt(5) == 0) {
            q.getHeader().setFlag(Flags.CD);
        }
        int shape = random.nextInt(4);
        if (shape > 0) {
            List<EDNSOption> options = new ArrayList<>();
            if (shape >= 2) {
                String[] clients = {"10.1.2.0", "10.2.9.0", "10.2.3.0", "10.3.1.0", "10.9.1.0", "192.0.2.0"};
                int[] prefixes = {24, 16, 20, 0, 32, 23};
                int prefix = prefixes[random.nextInt(prefixes.length)];
                options.add(shape == 3 ? new ClientSubnetOption(56, InetAddress.getByName("2001:db8:1::"))
                        : new ClientSubnetOption(prefix, org.xbill.DNS.Address.truncate(
                                InetAddress.getByName(clients[random.nextInt(clients.length)]), prefix)));
            }
            int flags = random.nextBoolean() ? ExtendedFlags.DO : 0;
            q.addRecord(new OPTRecord(random.nextBoolean() ? 1232 : 4096, 0, 0, flags, options), Section.ADDITIONAL);
        }
        return q.toWire();
    }

    @Test
    void fastAndGeneralPaths_answerSteeredQueriesIdentically() throws Exception {
        Path data = dir.resolve("geo");
        java.nio.file.Files.createDirectories(data);
        try (ClientLocator locator = ClientLocator.open(new LocatorConfig(LocateFixtures.cityDb(data),
                LocateFixtures.asnCsv(data), LocateFixtures.lines(data), null))) {
            SimpleMeterRegistry fastMeters = new SimpleMeterRegistry();
            SimpleMeterRegistry slowMeters = new SimpleMeterRegistry();
            QueryProcessor fast = processor(true, locator, fastMeters);
            QueryProcessor slow = processor(false, locator, slowMeters);
            Random random = new Random(42);
            String[] names = {"api.mirror.test.", "API.Mirror.Test.", "models.mirror.test.", "www.mirror.test."};
            for (int i = 0; i < 3000; i++) {
                byte[] q = query(random, names[random.nextInt(names.length)]);
                byte[] a = fast.process(q, i % 3 == 0 ? Transport.TCP : Transport.UDP, RESOLVER);
                byte[] b = slow.process(q, i % 3 == 0 ? Transport.TCP : Transport.UDP, RESOLVER);
                assertNotNull(b);
                assertTrue(Arrays.equals(a, b), () -> "query " + HexFormat.of().formatHex(q) + "\nfast    "
                        + HexFormat.of().formatHex(a) + "\ngeneral " + HexFormat.of().formatHex(b));
            }
            // And the fast path did answer the common shape (not everything fell through to the general path).
            Message common = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
            common.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24,
                    InetAddress.getByName("10.1.2.0")))), Section.ADDITIONAL);
            Responder responder = new Responder(TestZone.load(java.nio.file.Files.createDirectories(dir.resolve("c"))),
                    new CarrierProvincePolicy(List.of(new DnsTarget("gz", InetAddress.getByName("127.0.0.42"), "GD",
                            "unicom", 1, null)), id -> true, locator::lookup, 30, 2));
            byte[] answer = SteeredFastPath.answer(common.toWire(), Transport.UDP, RESOLVER, responder,
                    new QueryMetrics(new SimpleMeterRegistry()), 0);
            assertNotNull(answer);
            assertEquals(16, ((ClientSubnetOption) new Message(answer).getOPT()
                    .getOptions(EDNSOption.Code.CLIENT_SUBNET).get(0)).getScopePrefixLength());
            for (String meter : new String[] {"yunjing.dns.queries", "yunjing.dns.steered", "yunjing.dns.names"}) {
                assertEquals(total(slowMeters, meter), total(fastMeters, meter), meter);
            }
        }
    }

    private static double total(SimpleMeterRegistry r, String name) {
        return r.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void otherShapes_goToTheGeneralPath() throws Exception {
        Path data = dir.resolve("geo2");
        java.nio.file.Files.createDirectories(data);
        try (ClientLocator locator = ClientLocator.open(new LocatorConfig(LocateFixtures.cityDb(data), null, null, null))) {
            QueryProcessor p = processor(true, locator, new SimpleMeterRegistry());
            Responder responder = new Responder(TestZone.load(java.nio.file.Files.createDirectories(dir.resolve("other"))),
                    new CarrierProvincePolicy(List.of(), id -> true, locator::lookup, 30, 2));
            QueryMetrics metrics = new QueryMetrics(new SimpleMeterRegistry());
            Message nodata = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
            assertNull(SteeredFastPath.answer(nodata.toWire(), Transport.UDP, RESOLVER, responder, metrics, 0),
                    "no target: NODATA with the SOA");
            Message mx = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.MX, DClass.IN));
            assertNull(SteeredFastPath.answer(mx.toWire(), Transport.UDP, RESOLVER, responder, metrics, 0));
            Message badVersion = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
            badVersion.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
            assertNull(SteeredFastPath.answer(badVersion.toWire(), Transport.UDP, RESOLVER, responder, metrics, 0));
            assertNotNull(p.process(badVersion.toWire(), Transport.UDP, RESOLVER), "BADVERS from the general path");
        }
    }
}
