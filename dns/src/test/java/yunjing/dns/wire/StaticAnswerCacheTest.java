package yunjing.dns.wire;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.DnsTarget;
import yunjing.dns.answer.Responder;
import yunjing.dns.steer.HealthWeightedPolicy;
import yunjing.dns.testing.TestZone;
import yunjing.dns.zone.ZoneLoader;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/**
 * The cache of answers of the zone alone never answers what a fresh computation would not: the
 * same queries, repeated with new IDs, go to a processor with the cache and one without; a reload
 * (a new responder) invalidates; answers that went through steering follow health at once.
 */
class StaticAnswerCacheTest {

    private static final InetSocketAddress RESOLVER = new InetSocketAddress("192.0.2.53", 40000);

    @TempDir
    Path dir;

    private final Set<String> down = ConcurrentHashMap.newKeySet();

    private Responder responder(String sub, String masterFile) throws Exception {
        Path zoneDir = Files.createDirectories(dir.resolve(sub));
        Path file = Files.writeString(zoneDir.resolve("zone"), masterFile);
        List<DnsTarget> targets = List.of(
                new DnsTarget("a", InetAddress.getByName("127.0.0.41"), "SH", "telecom", 1, null),
                new DnsTarget("b", InetAddress.getByName("127.0.0.42"), "GD", "unicom", 1, null));
        return new Responder(ZoneLoader.load(name("mirror.test."), List.of(name("api.mirror.test.")),
                List.of(InetAddress.getByName("127.0.0.1")), file, 1_700_000_000L),
                new HealthWeightedPolicy(targets, id -> !down.contains(id), 30, 2));
    }

    private static byte[] query(Random random, String name, int type) {
        Message q = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        q.getHeader().setID(random.nextInt(0x10000));
        if (random.nextBoolean()) {
            q.getHeader().unsetFlag(Flags.RD);
        }
        int shape = random.nextInt(3);
        if (shape > 0) {
            List<org.xbill.DNS.EDNSOption> options = new ArrayList<>();
            if (shape == 2) {
                options.add(new ClientSubnetOption(24, address("10." + random.nextInt(3) + ".1.0")));
            }
            // 512 makes the big TXT answer truncate.
            q.addRecord(new OPTRecord(random.nextBoolean() ? 512 : 1232, 0, 0, 0, options), Section.ADDITIONAL);
        }
        return q.toWire();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void repeatedQueries_getExactlyTheFreshAnswer_withTheirOwnId() throws Exception {
        // Identical but separate responders: steered answers (www is a CNAME to api) rotate in step.
        Responder cachedZone = responder("z1", TestZone.MASTER_FILE);
        Responder freshZone = responder("z2", TestZone.MASTER_FILE);
        SimpleMeterRegistry cachedMeters = new SimpleMeterRegistry();
        SimpleMeterRegistry freshMeters = new SimpleMeterRegistry();
        QueryProcessor cached = new QueryProcessor(() -> cachedZone, new QueryMetrics(cachedMeters), true);
        QueryProcessor fresh = new QueryProcessor(() -> freshZone, new QueryMetrics(freshMeters), false);
        String[] names = {"mirror.test.", "MIRROR.test.", "ns1.mirror.test.", "static.mirror.test.", "big.mirror.test.",
                "nope.mirror.test.", "ent.mirror.test.", "outside.mirror.test.", "example.com.", "www.mirror.test."};
        int[] types = {Type.A, Type.AAAA, Type.SOA, Type.NS, Type.TXT, Type.MX, Type.ANY};
        Random random = new Random(7);
        List<byte[]> queries = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            queries.add(query(random, names[random.nextInt(names.length)], types[random.nextInt(types.length)]));
        }
        for (int round = 0; round < 3; round++) {
            for (byte[] q : queries) {
                q[0] = (byte) random.nextInt(); // a new ID each time: a hit must write it in
                q[1] = (byte) random.nextInt();
                byte[] a = cached.process(q, Transport.UDP, RESOLVER);
                byte[] b = fresh.process(q, Transport.UDP, RESOLVER);
                assertNotNull(b);
                assertTrue(Arrays.equals(a, b), () -> "query " + HexFormat.of().formatHex(q) + "\ncached " +
                        HexFormat.of().formatHex(a) + "\nfresh  " + HexFormat.of().formatHex(b));
            }
        }
        for (String meter : new String[] {"yunjing.dns.queries", "yunjing.dns.names", "yunjing.dns.truncated",
                "yunjing.dns.steered"}) {
            assertEquals(total(freshMeters, meter), total(cachedMeters, meter), meter);
        }
        assertTrue(total(cachedMeters, "yunjing.dns.truncated") > 0, "the big TXT truncated under 512 bytes");
        long stored = queries.stream().filter(q -> cached.staticAnswers().get(q, cachedZone) != null).count();
        assertTrue(stored > 100, "answers of the zone alone are served from the cache: " + stored);
    }

    @Test
    void aReload_invalidatesEveryCachedAnswer() throws Exception {
        AtomicReference<Responder> current = new AtomicReference<>(responder("old", "static IN A 192.0.2.7\n"));
        QueryProcessor processor = new QueryProcessor(current::get, new QueryMetrics(new SimpleMeterRegistry()), true);
        byte[] q = Message.newQuery(Record.newRecord(name("static.mirror.test."), Type.A, DClass.IN)).toWire();
        assertEquals("192.0.2.7", firstA(processor.process(q, Transport.UDP, RESOLVER)));
        assertNotNull(processor.staticAnswers().get(q, current.get()), "stored");
        assertEquals("192.0.2.7", firstA(processor.process(q, Transport.UDP, RESOLVER)), "cached");
        current.set(responder("new", "static IN A 192.0.2.99\n"));
        assertEquals("192.0.2.99", firstA(processor.process(q, Transport.UDP, RESOLVER)), "the reloaded zone");
    }

    @Test
    void answersThroughSteering_followHealthAtOnce() throws Exception {
        Responder zone = responder("h", "www IN CNAME api\n");
        QueryProcessor processor = new QueryProcessor(() -> zone, new QueryMetrics(new SimpleMeterRegistry()), true);
        byte[] q = Message.newQuery(Record.newRecord(name("www.mirror.test."), Type.A, DClass.IN)).toWire();
        assertEquals(Set.of("127.0.0.41", "127.0.0.42"), addresses(processor.process(q, Transport.UDP, RESOLVER)));
        down.add("a");
        assertEquals(Set.of("127.0.0.42"), addresses(processor.process(q, Transport.UDP, RESOLVER)),
                "a CNAME to a steered name is never served from the cache");
        assertEquals(null, processor.staticAnswers().get(q, zone));
        down.remove("a");
        down.add("b");
        assertEquals(Set.of("127.0.0.41"), addresses(processor.process(q, Transport.UDP, RESOLVER)));
    }

    private static String firstA(byte[] response) throws Exception {
        return ((ARecord) new Message(response).getSection(Section.ANSWER).stream()
                .filter(r -> r.getType() == Type.A).findFirst().orElseThrow()).getAddress().getHostAddress();
    }

    private static Set<String> addresses(byte[] response) throws Exception {
        Set<String> out = new java.util.HashSet<>();
        for (Record r : new Message(response).getSection(Section.ANSWER)) {
            if (r instanceof ARecord a) {
                out.add(a.getAddress().getHostAddress());
            }
        }
        return out;
    }

    private static double total(SimpleMeterRegistry r, String meter) {
        return r.find(meter).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
