package yunjing.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;
import yunjing.dns.testing.Await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.DnsServerExtension.address;
import static yunjing.dns.DnsServerExtension.resolver;
import static yunjing.dns.testing.TestZone.name;

/** A real server on 127.0.0.1:0, queried over the network with dnsjava and raw sockets. */
class DnsServerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final InetAddress T1 = address("127.0.0.41");
    private static final InetAddress T2 = address("127.0.0.42");
    private static final InetAddress T3 = address("127.0.0.43");

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    private static Message ask(DnsServer server, String name, int type) throws IOException {
        return ask(resolver(server, false), name, type);
    }

    private static Message ask(SimpleResolver resolver, String name, int type) throws IOException {
        return resolver.send(Message.newQuery(Record.newRecord(name(name), type, DClass.IN)));
    }

    private static Set<InetAddress> addresses(Message response) {
        Set<InetAddress> out = new HashSet<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            out.add(((ARecord) r).getAddress());
        }
        return out;
    }

    private static DnsServer startReady() throws Exception {
        DnsServer server = dns.start();
        Await.until("ready", WAIT, server::isReady);
        return server;
    }

    /**
     * Waits until steered answers carry {@code ttl}: right after a health change they carry at most
     * 5 s for {@code interval × successesToMarkUp} (100 ms here).
     */
    private static void awaitSettledTtl(DnsServer server, long ttl) {
        Await.until("TTL " + ttl, WAIT, () -> {
            try {
                return ask(server, "api.mirror.test.", Type.A).getSection(Section.ANSWER).get(0).getTTL() == ttl;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static void awaitHealth(DnsServer server, String id, boolean healthy) {
        Await.until(id + " healthy=" + healthy, WAIT, () -> server.targetHealth().get(id) == healthy);
    }

    @Test
    void steeredNameAnswersHealthyTargetsOnlyWithAuthorityAndTtl() throws Exception {
        dns.readyz().set("t3", 503);
        DnsServer server = startReady();
        awaitHealth(server, "t3", false);
        awaitSettledTtl(server, 30);
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            Message r = ask(server, "api.mirror.test.", Type.A);
            assertEquals(Rcode.NOERROR, r.getRcode());
            assertTrue(r.getHeader().getFlag(Flags.AA), "authoritative");
            assertFalse(r.getHeader().getFlag(Flags.RA), "no recursion offered");
            List<Record> answer = r.getSection(Section.ANSWER);
            assertEquals(2, answer.size(), "maxAnswers");
            answer.forEach(record -> assertEquals(30, record.getTTL()));
            seen.addAll(addresses(r));
        }
        assertEquals(Set.of(T1, T2), seen, "t3 is down");
        assertEquals(Map.of("t1", true, "t2", true, "t3", false), server.targetHealth());
    }

    @Test
    void rotationSpreadsTheFirstAnswerOverHealthyTargets() throws Exception {
        DnsServer server = startReady();
        SimpleResolver resolver = resolver(server, false);
        Set<InetAddress> first = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            first.add(((ARecord) ask(resolver, "models.mirror.test.", Type.A).getSection(Section.ANSWER).get(0))
                    .getAddress());
        }
        assertEquals(Set.of(T1, T2, T3), first);
    }

    @Test
    void targetFlippedUnhealthyDisappearsAndComesBack() throws Exception {
        DnsServer server = startReady();
        dns.readyz().set("t2", 503);
        awaitHealth(server, "t2", false);
        for (int i = 0; i < 6; i++) {
            assertFalse(addresses(ask(server, "api.mirror.test.", Type.A)).contains(T2));
        }
        dns.readyz().set("t2", 200);
        awaitHealth(server, "t2", true);
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            seen.addAll(addresses(ask(server, "api.mirror.test.", Type.A)));
        }
        assertTrue(seen.contains(T2));
    }

    @Test
    void allTargetsDownFailsOpenWithHalfTheTtl() throws Exception {
        DnsServerExtension.TARGET_IDS.forEach(id -> dns.readyz().set(id, 503));
        DnsServer server = startReady();
        Await.until("all down", WAIT, () -> !server.targetHealth().containsValue(true));
        awaitSettledTtl(server, 15);
        double failOpenBefore = dns.registry.counter("yunjing.dns.failopen").count();
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            Message r = ask(server, "api.mirror.test.", Type.A);
            assertEquals(2, r.getSection(Section.ANSWER).size());
            r.getSection(Section.ANSWER).forEach(record -> assertEquals(15, record.getTTL()));
            seen.addAll(addresses(r));
        }
        assertEquals(Set.of(T1, T2, T3), seen, "answers from all targets");
        assertEquals(6, dns.registry.counter("yunjing.dns.failopen").count() - failOpenBefore, 0.0);
    }

    @Test
    void unknownNameIsNxdomainWithSoa() throws Exception {
        Message r = ask(dns.start(), "nothing.mirror.test.", Type.A);
        assertEquals(Rcode.NXDOMAIN, r.getRcode());
        assertTrue(r.getHeader().getFlag(Flags.AA));
        SOARecord soa = assertInstanceOf(SOARecord.class, r.getSection(Section.AUTHORITY).get(0));
        assertEquals(name("mirror.test."), soa.getName());
        assertEquals(30, soa.getTTL());
    }

    @Test
    void aaaaForSteeredNameWithoutIpv6TargetsIsNodata() throws Exception {
        Message r = ask(dns.start(), "api.mirror.test.", Type.AAAA);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertTrue(r.getSection(Section.ANSWER).isEmpty());
        assertInstanceOf(SOARecord.class, r.getSection(Section.AUTHORITY).get(0));
    }

    @Test
    void nameOutsideTheZoneIsRefused() throws Exception {
        Message r = ask(dns.start(), "www.example.com.", Type.A);
        assertEquals(Rcode.REFUSED, r.getRcode());
        assertFalse(r.getHeader().getFlag(Flags.AA));
    }

    @Test
    void updateAndNotifyAreNotImplemented() throws Exception {
        DnsServer server = dns.start();
        SimpleResolver resolver = resolver(server, false);
        Update update = new Update(name("mirror.test."));
        update.add(name("evil.mirror.test."), Type.A, 60, "192.0.2.66");
        assertEquals(Rcode.NOTIMP, resolver.send(update).getRcode());
        Message notify = Message.newQuery(Record.newRecord(name("mirror.test."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        Message r = resolver.send(notify);
        assertEquals(Rcode.NOTIMP, r.getRcode());
        assertEquals(Opcode.NOTIFY, r.getHeader().getOpcode());
    }

    @Test
    void garbageAfterAValidHeaderIsFormerr() throws Exception {
        DnsServer server = dns.start();
        byte[] packet = {0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, (byte) 0xFF, 1, 2, 3};
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(2000);
            socket.send(new DatagramPacket(packet, packet.length, server.udpAddress()));
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            socket.receive(reply);
            Message r = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
            assertEquals(0x1234, r.getHeader().getID());
            assertEquals(Rcode.FORMERR, r.getRcode());
        }
    }

    @Test
    void ednsIsEchoedWithOurPayloadSize() throws Exception {
        Message r = ask(dns.start(), "api.mirror.test.", Type.A); // SimpleResolver sends EDNS(0), 1280
        OPTRecord opt = r.getOPT();
        assertNotNull(opt);
        assertEquals(1232, opt.getPayloadSize());
        assertEquals(0, opt.getVersion());
    }

    @Test
    void unsupportedEdnsVersionIsBadvers() throws Exception {
        Message query = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        Message r = resolver(dns.start(), false).send(query);
        assertEquals(Rcode.BADVERS, r.getRcode());
        assertEquals(0, r.getOPT().getVersion());
    }

    @Test
    void largeAnswerIsTruncatedOverUdpAndWholeOverTcp() throws Exception {
        DnsServer server = dns.start();
        SimpleResolver udp = resolver(server, false);
        udp.setEDNS(0, 512, 0, List.of());
        udp.setIgnoreTruncation(true);
        Message truncated = ask(udp, "big.mirror.test.", Type.TXT);
        assertTrue(truncated.getHeader().getFlag(Flags.TC));
        assertTrue(truncated.getSection(Section.ANSWER).isEmpty());

        Message whole = ask(resolver(server, true), "big.mirror.test.", Type.TXT);
        assertFalse(whole.getHeader().getFlag(Flags.TC));
        TXTRecord txt = (TXTRecord) whole.getSection(Section.ANSWER).get(0);
        assertEquals(List.of("x".repeat(250), "x".repeat(250), "x".repeat(250)), txt.getStrings());

        udp.setIgnoreTruncation(false); // dnsjava retries over TCP by itself on TC
        assertEquals(1, ask(udp, "big.mirror.test.", Type.TXT).getSection(Section.ANSWER).size());
    }

    @Test
    void tcpConnectionAnswersTwoPipelinedQueries() throws Exception {
        DnsServer server = dns.start();
        Message first = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        Message second = Message.newQuery(Record.newRecord(name("mirror.test."), Type.NS, DClass.IN));
        try (Socket socket = new Socket(server.tcpAddress().getAddress(), server.tcpAddress().getPort())) {
            socket.setSoTimeout(2000);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            for (Message m : List.of(first, second)) {
                byte[] wire = m.toWire();
                out.writeShort(wire.length);
                out.write(wire);
            }
            out.flush(); // both queries before reading anything
            DataInputStream in = new DataInputStream(socket.getInputStream());
            for (Message sent : List.of(first, second)) {
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                Message r = new Message(wire);
                assertEquals(sent.getHeader().getID(), r.getHeader().getID());
                assertEquals(Rcode.NOERROR, r.getRcode());
                assertEquals(sent.getQuestion().getType(), r.getSection(Section.ANSWER).get(0).getType());
            }
        }
    }

    @Test
    void queryNameCaseIsPreserved() throws Exception {
        DnsServer server = dns.start();
        for (boolean tcp : new boolean[] {false, true}) {
            Message r = ask(resolver(server, tcp), "aPi.MIRROR.tEsT.", Type.A);
            assertEquals("aPi.MIRROR.tEsT.", r.getQuestion().getName().toString());
            for (Record record : r.getSection(Section.ANSWER)) {
                assertEquals("aPi.MIRROR.tEsT.", record.getName().toString());
            }
        }
    }

    @Test
    void zoneFileSyntaxErrorNamesFileAndLine() throws Exception {
        Path bad = Files.writeString(dns.dir().resolve("bad.zone"), "$TTL 60\nok TXT \"fine\"\nbroken IN A 300.1.1.1\n");
        DnsConfig c = dns.config();
        DnsConfig config = new DnsConfig(c.zone(), c.bind(), c.serviceNames(), c.targets(), c.nameserverAddresses(),
                bad, 30, 2, c.healthInterval(), 3);
        IOException e = assertThrows(IOException.class, () -> dns.start(config));
        assertTrue(e.getMessage().startsWith(bad + ":3:"), e.getMessage());
    }

    @Test
    void portInUseIsBindExceptionNamingTheAddress() throws Exception {
        DnsServer first = dns.start();
        DnsConfig c = dns.config();
        DnsConfig same = new DnsConfig(c.zone(), first.udpAddress(), c.serviceNames(), c.targets(),
                c.nameserverAddresses(), c.zoneFile(), 30, 2, c.healthInterval(), 3);
        BindException e = assertThrows(BindException.class, () -> dns.start(same));
        assertTrue(e.getMessage().contains("127.0.0.1:" + first.udpAddress().getPort()), e.getMessage());
    }

    @Test
    void udpAndTcpListenOnTheSamePort() throws Exception {
        DnsServer server = dns.start();
        assertEquals(server.udpAddress(), server.tcpAddress());
        assertTrue(server.udpAddress().getPort() > 0);
    }

    @Test
    void readyAfterFirstHealthRoundAndNotAfterClose() throws Exception {
        DnsServer server = startReady();
        assertEquals(List.of("t1", "t2", "t3"), List.copyOf(server.targetHealth().keySet()));
        server.close();
        assertFalse(server.isReady());
        server.close(); // idempotent
        SimpleResolver resolver = resolver(server, false);
        resolver.setTimeout(Duration.ofMillis(200));
        assertThrows(IOException.class, () -> ask(resolver, "api.mirror.test.", Type.A), "no longer listening");
    }

    @Test
    void answeredQueriesAreCounted() throws Exception {
        ask(dns.start(), "counted.mirror.test.", Type.TXT);
        assertTrue(dns.registry.get("yunjing.dns.queries").tags("rcode", "NXDOMAIN", "qtype", "TXT").counter()
                .count() >= 1);
        assertTrue(dns.registry.get("yunjing.dns.answer.latency").tag("transport", "udp").functionTimer().count() >= 1);
    }
}
