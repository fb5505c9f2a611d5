package yunjing.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import yunjing.dns.locate.LocatorConfig;
import yunjing.dns.testing.Await;
import yunjing.dns.testing.LocateFixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/** Hot reload: the whole query-time state swaps under a stream of queries without a failed query. */
class DnsReloadTest {

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    private static Path zone(String file, String version) throws IOException {
        return Files.writeString(dns.dir().resolve(file), "info 300 IN TXT \"" + version + "\"\n");
    }

    private static DnsConfig config(Path zoneFile, LocatorConfig locator, List<DnsTarget> targets) {
        DnsConfig c = dns.config();
        return new DnsConfig(c.zone(), c.bind(), c.serviceNames(), targets, c.nameserverAddresses(), zoneFile,
                30, 2, c.healthInterval(), 3, locator);
    }

    private static String txt(SimpleResolver resolver) throws IOException {
        Message r = resolver.send(Message.newQuery(Record.newRecord(name("info.mirror.test."), Type.TXT, DClass.IN)));
        if (r.getRcode() != Rcode.NOERROR || r.getSection(Section.ANSWER).size() != 1) {
            throw new IOException("unexpected answer: " + r);
        }
        return ((TXTRecord) r.getSection(Section.ANSWER).get(0)).getStrings().get(0);
    }

    @Test
    void reload_underAStreamOfQueries_dropsNone_andBadFilesAreRefused() throws Exception {
        Path v1 = zone("v1.zone", "v1");
        Path v2 = zone("v2.zone", "v2");
        Path bad = Files.writeString(dns.dir().resolve("bad.zone"), "info 300 IN A 999.1.2.3\n");
        Path data = dns.dir().resolve("geo");
        Files.createDirectories(data);
        LocatorConfig locator = new LocatorConfig(LocateFixtures.cityDb(data), LocateFixtures.asnCsv(data), null, null);
        List<DnsTarget> targets = dns.config().targets();
        DnsServer server = dns.start(config(v1, null, targets));
        Await.until("ready", Duration.ofSeconds(5), server::isReady);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Thread[] clients = new Thread[2];
        for (int t = 0; t < clients.length; t++) {
            boolean tcp = t == 1;
            clients[t] = new Thread(() -> {
                SimpleResolver resolver = DnsServerExtension.resolver(server, tcp);
                resolver.setTimeout(Duration.ofSeconds(10)); // a loaded machine is slow, not lossy
                try {
                    while (running.get()) {
                        seen.add(txt(resolver));
                        answered.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "reload-client-" + t);
            clients[t].start();
        }
        try {
            for (int i = 0; i < 20; i++) {
                boolean even = i % 2 == 0;
                // Alternate zone files, and location data on and off (a new locator every other time).
                server.reload(config(even ? v2 : v1, even ? locator : null, targets));
                if (i == 10) {
                    IOException e = assertThrows(IOException.class, () -> server.reload(config(bad, null, targets)));
                    assertTrue(e.getMessage().startsWith(bad + ":1:"), e.getMessage());
                }
                int before = answered.get();
                Await.until("queries answered after reload " + i, Duration.ofSeconds(20),
                        () -> answered.get() >= before + 5 || failure.get() != null);
            }
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        assertNull(failure.get(), () -> "a query failed during reloads: " + failure.get());
        assertEquals(Set.of("v1", "v2"), seen);
        assertEquals("v1", txt(DnsServerExtension.resolver(server, false)), "the last reload (v1) serves");
        assertTrue(server.isReady());
    }

    @Test
    void reload_ofNewTargets_answersThem_andMovesToAnotherListenAddress() throws Exception {
        Path v1 = zone("t.zone", "v1");
        DnsServer server = dns.start(config(v1, null, dns.config().targets()));
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        List<DnsTarget> one = List.of(new DnsTarget("t9", DnsServerExtension.address("127.0.0.49"), "SH", "telecom", 1,
                dns.readyz().url("t9")));
        server.reload(config(v1, null, one));
        Message r = DnsServerExtension.resolver(server, false)
                .send(Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN)));
        assertEquals("127.0.0.49", ((org.xbill.DNS.ARecord) r.getSection(Section.ANSWER).get(0)).getAddress()
                .getHostAddress());
        assertEquals(Set.of("t9"), server.targetHealth().keySet());
        assertTrue(dns.registry.find("yunjing.dns.target.healthy").tag("target", "t9").gauge() != null);
        assertNull(dns.registry.find("yunjing.dns.target.healthy").tag("target", "t1").gauge());

        java.net.InetSocketAddress before = server.udpAddress();
        DnsConfig c = config(v1, null, one);
        DnsConfig moved = new DnsConfig(c.zone(), new java.net.InetSocketAddress(DnsServerExtension.address("127.0.0.2"), 0),
                c.serviceNames(), c.targets(), c.nameserverAddresses(), c.zoneFile(), 30, 2, c.healthInterval(), 3);
        server.reload(moved);
        assertEquals("127.0.0.2", server.udpAddress().getAddress().getHostAddress());
        assertEquals(server.udpAddress().getPort(), server.tcpAddress().getPort());
        assertEquals("v1", txt(DnsServerExtension.resolver(server, false)), "UDP on the new address");
        assertEquals("v1", txt(DnsServerExtension.resolver(server, true)), "TCP on the new address");
        assertTrue(server.isReady());
        try (java.net.Socket old = new java.net.Socket()) {
            assertThrows(IOException.class, () -> old.connect(before, 1000), "the old address no longer listens");
        }

        // An address that cannot be bound (taken by another socket) refuses the reload: nothing changes.
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, DnsServerExtension.address("127.0.0.3"));
             java.net.DatagramSocket takenUdp = new java.net.DatagramSocket(taken.getLocalPort(),
                     DnsServerExtension.address("127.0.0.3"))) {
            java.net.InetSocketAddress now = server.udpAddress();
            DnsConfig busy = new DnsConfig(c.zone(), new java.net.InetSocketAddress(DnsServerExtension.address("127.0.0.3"),
                    taken.getLocalPort()), c.serviceNames(), c.targets(), c.nameserverAddresses(), zone("t2.zone", "v2"),
                    30, 2, c.healthInterval(), 3);
            assertThrows(java.net.BindException.class, () -> server.reload(busy));
            assertEquals(now, server.udpAddress());
            assertEquals("v1", txt(DnsServerExtension.resolver(server, false)), "the old zone and address keep serving");
        }
    }

    @Test
    void udpSockets_asConfigured_allAnswer_andAReloadLeavesThemUntilTheNextStart() throws Exception {
        Path v1 = zone("u.zone", "v1");
        DnsServer one = dns.start(config(v1, null, dns.config().targets()).withUdpSockets(1));
        assertEquals(1, one.udpSockets());
        assertEquals("v1", txt(DnsServerExtension.resolver(one, false)));
        one.reload(config(v1, null, dns.config().targets()).withUdpSockets(2));
        assertEquals(1, one.udpSockets(), "applies at the next start");
        assertEquals("v1", txt(DnsServerExtension.resolver(one, false)));
        one.close();

        DnsServer two = dns.start(config(v1, null, dns.config().targets()).withUdpSockets(2));
        // Two sockets with SO_REUSEPORT on epoll (the kernel spreads clients over them), one elsewhere;
        // more than the event loops (2 here) are never bound.
        int expected = "epoll".equals(dns.loops().transport()) ? 2 : 1;
        assertEquals(expected, two.udpSockets());
        for (int i = 0; i < 20; i++) { // different source ports: both sockets get some
            assertEquals("v1", txt(DnsServerExtension.resolver(two, false)));
        }
        assertEquals(expected, dns.start(config(v1, null, dns.config().targets()).withUdpSockets(8)).udpSockets());
        assertThrows(IllegalArgumentException.class, () -> dns.config().withUdpSockets(-1));
    }

    @Test
    void reload_ofTheZoneName_answersTheNewZone_andRefusesTheOld() throws Exception {
        Path v1 = zone("z.zone", "v1");
        DnsServer server = dns.start(config(v1, null, dns.config().targets()));
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        DnsConfig c = config(v1, null, dns.config().targets());
        DnsConfig renamed = new DnsConfig("mirror2.test.", c.bind(), List.of("api.mirror2.test."), c.targets(),
                c.nameserverAddresses(), c.zoneFile(), 30, 2, c.healthInterval(), 3);
        server.reload(renamed);
        SimpleResolver resolver = DnsServerExtension.resolver(server, false);
        Message r = resolver.send(Message.newQuery(Record.newRecord(name("info.mirror2.test."), Type.TXT, DClass.IN)));
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertEquals("v1", ((TXTRecord) r.getSection(Section.ANSWER).get(0)).getStrings().get(0));
        assertEquals(Rcode.NOERROR, resolver.send(Message.newQuery(Record.newRecord(name("api.mirror2.test."), Type.A,
                DClass.IN))).getRcode());
        assertEquals(Rcode.REFUSED, resolver.send(Message.newQuery(Record.newRecord(name("info.mirror.test."), Type.TXT,
                DClass.IN))).getRcode(), "the old zone is out of zone now");
        assertTrue(dns.registry.find("yunjing.dns.rtt.entries").tag("zone", "mirror2.test.").gauge() != null);
        assertNull(dns.registry.find("yunjing.dns.rtt.entries").tag("zone", "mirror.test.").gauge());
    }
}
