package yunjing.dns;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.locate.LocatorConfig;
import yunjing.dns.testing.Await;
import yunjing.dns.testing.LocateFixtures;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static yunjing.dns.DnsServerExtension.address;
import static yunjing.dns.DnsServerExtension.resolver;
import static yunjing.dns.testing.TestZone.name;

/**
 * RTT steering end to end: two Telecom edges in Shanghai share the carrier+province group of a
 * Telecom/Shanghai client (10.2.0.0/16 in {@link LocateFixtures}); the edges' reports decide which
 * one is answered first, with hysteresis, and the answers' ECS scope narrows to the reported /24.
 */
class RttSteeringTest {

    private static final InetAddress A = address("127.0.0.41");
    private static final InetAddress B = address("127.0.0.44");

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    @TempDir
    static Path data;

    private static LocatorConfig locator;

    @BeforeAll
    static void writeFixtures() throws IOException {
        locator = new LocatorConfig(LocateFixtures.cityDb(data), LocateFixtures.asnCsv(data), null, null);
    }

    private static DnsServer startReady() throws Exception {
        List<DnsTarget> targets = List.of(
                dns.target("sh-telecom-a", A, "SH", "telecom"),
                dns.target("sh-telecom-b", B, "SH", "telecom"),
                dns.target("gz-unicom", address("127.0.0.42"), "GD", "unicom"));
        DnsServer server = dns.start(dns.config(targets, null, locator));
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        return server;
    }

    private static Message ask(DnsServer server, String client) throws IOException {
        Message query = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, address(client)))),
                Section.ADDITIONAL);
        return resolver(server, false).send(query);
    }

    private static InetAddress first(Message response) {
        return ((ARecord) response.getSection(Section.ANSWER).get(0)).getAddress();
    }

    private static int scope(Message response) {
        List<EDNSOption> o = response.getOPT().getOptions(EDNSOption.Code.CLIENT_SUBNET);
        return ((ClientSubnetOption) o.get(0)).getScopePrefixLength();
    }

    private static double steered(String rule) {
        var counter = dns.registry.find("yunjing.dns.steered").tag("rule", rule).counter();
        return counter == null ? 0 : counter.count();
    }

    private static void report(DnsServer server, String json) {
        server.reportRtt(RttReport.parse(json));
    }

    @Test
    void reports_decideTheFirstAddress_withHysteresis() throws Exception {
        DnsServer server = startReady();
        Set<InetAddress> firsts = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            firsts.add(first(ask(server, "10.2.9.0")));
        }
        assertEquals(Set.of(A, B), firsts, "without measurements the group is spread by weight");

        report(server, """
                [{"node":"sh-telecom-a","client":"10.2.9.0/24","rtt_ms":40,"samples":20},
                 {"node":"sh-telecom-b","client":"10.2.9.0/24","rtt_ms":10,"samples":20}]""");
        double before = steered("carrier+province+rtt");
        for (int i = 0; i < 4; i++) {
            Message r = ask(server, "10.2.9.0");
            assertEquals(B, first(r));
            assertEquals(List.of(B, A), addresses(r), "the other edge follows as fallback");
            assertEquals(24, scope(r), "the answer now depends on the measured /24");
        }
        assertEquals(before + 4, steered("carrier+province+rtt"));
        // A neighbouring block without measurements of its own uses its carrier × province.
        assertEquals(B, first(ask(server, "10.2.200.0")));

        // a drops to ~9.3 ms: better than b's 10, but not 20 % and 5 ms better: b holds.
        report(server, "[{\"node\":\"sh-telecom-a\",\"client\":\"10.2.9.0/24\",\"rtt_ms\":5,\"samples\":20}]");
        assertEquals(B, first(ask(server, "10.2.9.0")));
        // a drops to ~2 ms: clearly better: it takes over.
        report(server, "[{\"node\":\"sh-telecom-a\",\"client\":\"10.2.9.0/24\",\"rtt_ms\":1,\"samples\":20}]");
        assertEquals(A, first(ask(server, "10.2.9.0")));
        assertEquals(4, server.rttEntries(), "2 targets × (block, carrier × province)");
    }

    /**
     * Clients of 10.2.9.0/24 were only ever sent to a, so only a has a measurement of that block. The
     * edges' active probes of a Telecom/Shanghai target (10.2.77.1, reported as its /24 with the number
     * of handshakes as samples, as {@code RttProber} posts it) measure b too, filed under the block's
     * carrier × province; b competes with a's block measurement and takes over once it is clearly faster.
     */
    @Test
    void anEdgeOnlyTheProbesMeasured_winsWhenFaster_withHysteresis() throws Exception {
        DnsServer server = startReady();
        report(server, "[{\"node\":\"sh-telecom-a\",\"client\":\"10.2.9.0/24\",\"rtt_ms\":30,\"samples\":20}]");
        assertEquals(A, first(ask(server, "10.2.9.0")), "b has no measurement yet: the measured a leads");

        // Probes: b at 27 ms is faster than a's 30, but not 20 % and 5 ms faster: a holds.
        report(server, """
                [{"node":"sh-telecom-a","client":"10.2.77.0/24","rtt_ms":30,"samples":3},
                 {"node":"sh-telecom-b","client":"10.2.77.0/24","rtt_ms":27,"samples":3}]""");
        for (int i = 0; i < 3; i++) {
            assertEquals(A, first(ask(server, "10.2.9.0")));
        }
        // Later rounds measure b at 8 ms: its average falls below 24 ms and b takes over.
        for (int round = 0; round < 3; round++) {
            report(server, "[{\"node\":\"sh-telecom-b\",\"client\":\"10.2.77.0/24\",\"rtt_ms\":8,\"samples\":3}]");
        }
        Message r = ask(server, "10.2.9.0");
        assertEquals(List.of(B, A), addresses(r), "b first, a as fallback");
        assertEquals(B, first(ask(server, "10.2.200.0")), "a block nobody measured goes by the probes too");
    }

    @Test
    void reportsForUnknownNodes_areSkipped_andBadOnesRefused() throws Exception {
        DnsServer server = startReady();
        assertEquals(0, server.reportRtt(RttReport.parse(
                "[{\"node\":\"nowhere\",\"client\":\"10.2.9.0/24\",\"rtt_ms\":4}]")));
        assertEquals(0, server.rttEntries());
        assertThrows(IllegalArgumentException.class, () -> RttReport.parse("[{\"node\":\"sh-telecom-a\"}]"));
    }

    private static List<InetAddress> addresses(Message response) {
        List<InetAddress> out = new ArrayList<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            out.add(((ARecord) r).getAddress());
        }
        return out;
    }
}
