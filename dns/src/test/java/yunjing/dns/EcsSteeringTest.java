package yunjing.dns;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.locate.LocatorConfig;
import yunjing.dns.testing.Await;
import yunjing.dns.testing.LocateFixtures;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.DnsServerExtension.address;
import static yunjing.dns.DnsServerExtension.resolver;
import static yunjing.dns.testing.TestZone.name;

/**
 * Carrier/province steering end to end: a real server with location data (generated MMDB, ASN
 * CSV, lines; see {@link LocateFixtures}) and the local topology's three edges, queried by dnsjava
 * with EDNS Client Subnet.
 */
class EcsSteeringTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final InetAddress SH = address("127.0.0.41");
    private static final InetAddress GZ = address("127.0.0.42");
    private static final InetAddress BJ = address("127.0.0.43");

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    @TempDir
    static Path data;

    private static LocatorConfig locator;

    @BeforeAll
    static void writeFixtures() throws IOException {
        locator = new LocatorConfig(LocateFixtures.cityDb(data), LocateFixtures.asnCsv(data),
                LocateFixtures.lines(data), null);
    }

    private static DnsConfig config(LocatorConfig locatorConfig) {
        List<DnsTarget> targets = List.of(
                dns.target("sh-telecom", SH, "SH", "telecom"),
                dns.target("gz-unicom", GZ, "GD", "unicom"),
                dns.target("bj-mobile", BJ, "BJ", "mobile"));
        return dns.config(targets, dns.config().zoneFile(), locatorConfig);
    }

    private static DnsServer startReady() throws Exception {
        DnsServer server = dns.start(config(locator));
        Await.until("ready", WAIT, server::isReady);
        return server;
    }

    private static Message ask(DnsServer server, String name, int type, ClientSubnetOption ecs, boolean tcp)
            throws IOException {
        Message query = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        List<EDNSOption> options = ecs == null ? List.of() : List.of(ecs);
        query.addRecord(new OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
        return resolver(server, tcp).send(query);
    }

    private static Message askA(DnsServer server, String client) throws IOException {
        return ask(server, "api.mirror.test.", Type.A, new ClientSubnetOption(24, address(client)), false);
    }

    private static List<InetAddress> addresses(Message response) {
        List<InetAddress> out = new ArrayList<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            out.add(r instanceof ARecord a ? a.getAddress() : ((AAAARecord) r).getAddress());
        }
        return out;
    }

    /** The test class shares one registry: compare counts before and after. */
    private static double steered(String rule) {
        var counter = dns.registry.find("yunjing.dns.steered").tag("rule", rule).counter();
        return counter == null ? 0 : counter.count();
    }

    private static ClientSubnetOption ecs(Message response) {
        OPTRecord opt = response.getOPT();
        if (opt == null) {
            return null;
        }
        List<EDNSOption> options = opt.getOptions(EDNSOption.Code.CLIENT_SUBNET);
        return options.isEmpty() ? null : (ClientSubnetOption) options.get(0);
    }

    @Test
    void unicomGuangdongClient_getsGzUnicom_scopeIsTheLocatorBlock() throws Exception {
        DnsServer server = startReady();
        double before = steered("carrier+province");
        Message r = askA(server, "10.1.2.0");
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertEquals(List.of(GZ), addresses(r));
        ClientSubnetOption echo = ecs(r);
        assertEquals(24, echo.getSourcePrefixLength());
        assertEquals(16, echo.getScopePrefixLength()); // the whole 10.1.0.0/16 is Unicom Guangdong
        assertEquals(address("10.1.2.0"), echo.getAddress());
        assertEquals(before + 1, steered("carrier+province"));
    }

    @Test
    void telecomShanghaiClient_getsShTelecom_scopeAvoidsTheNestedLine() throws Exception {
        DnsServer server = startReady();
        Message r = askA(server, "10.2.9.0");
        assertEquals(List.of(SH), addresses(r));
        assertEquals(21, ecs(r).getScopePrefixLength()); // 10.2.3.0/24 inside 10.2/16 is a Unicom line
        Message line = askA(server, "10.2.3.0");
        assertEquals(List.of(GZ), addresses(line));
        assertEquals(24, ecs(line).getScopePrefixLength());
    }

    @Test
    void mobileClients_getBjMobile_wherever() throws Exception {
        DnsServer server = startReady();
        assertEquals(List.of(BJ), addresses(askA(server, "10.3.1.0")));   // no province
        assertEquals(List.of(BJ), addresses(askA(server, "10.4.1.0")));   // Guangdong, by its ASN
        assertEquals(List.of(BJ), addresses(ask(server, "api.mirror.test.", Type.A,
                new ClientSubnetOption(24, address("10.4.1.0")), true)));  // over TCP too
    }

    @Test
    void ipv6EcsClient_isLocatedToo() throws Exception {
        DnsServer server = startReady();
        Message r = ask(server, "api.mirror.test.", Type.A, new ClientSubnetOption(56, address("2001:db8:1::")), false);
        assertEquals(List.of(GZ), addresses(r));
        assertEquals(48, ecs(r).getScopePrefixLength());
        assertEquals(2, ecs(r).getFamily());
    }

    @Test
    void unknownClient_getsAnyHealthyTargets() throws Exception {
        DnsServer server = startReady();
        double before = steered("any");
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Message r = askA(server, "10.9.1.0");
            assertEquals(2, addresses(r).size());
            seen.addAll(addresses(r));
        }
        assertEquals(Set.of(SH, GZ, BJ), seen);
        assertEquals(before + 3, steered("any"));
    }

    @Test
    void downEdgeLeavesItsClients_toAnotherHealthyEdge() throws Exception {
        DnsServer server = startReady();
        dns.readyz().set("gz-unicom", 503);
        Await.until("gz-unicom down", WAIT, () -> !server.targetHealth().get("gz-unicom"));
        List<InetAddress> answer = addresses(askA(server, "10.1.2.0"));
        assertEquals(2, answer.size());
        assertTrue(Set.of(SH, BJ).containsAll(answer), answer.toString());
        dns.readyz().set("gz-unicom", 200);
    }

    @Test
    void noEcs_locatesTheResolver_andEchoesNoOption() throws Exception {
        DnsServer server = startReady();
        Message r = ask(server, "api.mirror.test.", Type.A, null, false);
        assertEquals(2, addresses(r).size()); // 127.0.0.1 is in no fixture: any
        assertNull(ecs(r));
    }

    @Test
    void unsteeredName_echoesEcsWithScopeZero() throws Exception {
        DnsServer server = startReady();
        Message r = ask(server, "mirror.test.", Type.SOA, new ClientSubnetOption(24, address("10.1.2.0")), false);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertEquals(0, ecs(r).getScopePrefixLength());
        assertEquals(24, ecs(r).getSourcePrefixLength());
    }

    @Test
    void start_badLocationData_failsNamingTheFile() throws Exception {
        Path lines = Files.writeString(data.resolve("broken-lines.txt"), "10.0.0.0/33 unicom GD\n");
        LocatorConfig broken = new LocatorConfig(null, null, lines, null);
        IOException e = assertThrows(IOException.class, () -> dns.start(config(broken)));
        assertTrue(e.getMessage().startsWith(lines + ":1: "), e.getMessage());
    }
}
