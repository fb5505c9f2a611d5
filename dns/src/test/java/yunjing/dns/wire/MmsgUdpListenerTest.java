package yunjing.dns.wire;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static yunjing.dns.testing.TestZone.name;

/**
 * Batched native UDP I/O on real loopback sockets: bursts answered in batches to the right peers,
 * IPv4 and IPv6, oversize datagrams dropped and counted, bind errors named, and close releasing the
 * port and the thread. Where a C compiler built the library (Linux x86-64, as in CI) it must load.
 */
class MmsgUdpListenerTest {

    @TempDir
    Path dir;

    private WireFixture fixture;
    private DatagramAnswerer answerer;
    private final List<MmsgUdpListener> listeners = new ArrayList<>();

    @BeforeEach
    void setUp() {
        boolean buildable = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && System.getProperty("os.arch", "").equals("amd64") && onPath("cc");
        if (buildable) {
            assertTrue(MmsgSocket.isAvailable(), () -> "a C compiler is here, so the build made the library: "
                    + MmsgSocket.unavailabilityCause());
        }
        assumeTrue(MmsgSocket.isAvailable(), "no batched UDP I/O on this platform");
        fixture = new WireFixture(dir);
        answerer = new DatagramAnswerer(fixture.processor, fixture.metrics, new LiveProtection(Protection.DEFAULT));
    }

    @AfterEach
    void tearDown() {
        listeners.forEach(l -> l.close(true));
    }

    private MmsgUdpListener bind(String address, int port) throws BindException {
        MmsgUdpListener l = MmsgUdpListener.bind(new InetSocketAddress(address, port), true, answerer, "dns-udp-test");
        listeners.add(l);
        return l;
    }

    @Test
    void aBurstFromSeveralClients_isAnsweredInFull_eachToItsSender() throws Exception {
        MmsgUdpListener server = bind("127.0.0.1", 0);
        assertNotEquals(0, server.localAddress().getPort());
        List<DatagramChannel> clients = new ArrayList<>();
        try {
            for (int c = 0; c < 2; c++) {
                DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                ch.bind(new InetSocketAddress("127.0.0.1", 0));
                clients.add(ch);
            }
            // More than one batch queued at once, within the kernel's default socket buffer (208 KiB).
            int perClient = MmsgUdpListener.BATCH * 3 / 2;
            for (int i = 0; i < perClient; i++) {
                for (int c = 0; c < clients.size(); c++) {
                    clients.get(c).send(ByteBuffer.wrap(query(c * 1000 + i, "nope.mirror.test.")), server.localAddress());
                }
            }
            for (int c = 0; c < clients.size(); c++) {
                Set<Integer> ids = new HashSet<>();
                DatagramChannel ch = clients.get(c);
                ch.socket().setSoTimeout(5000);
                for (int i = 0; i < perClient; i++) {
                    Message response = receive(ch);
                    assertEquals(Rcode.NXDOMAIN, response.getRcode());
                    ids.add(response.getHeader().getID());
                }
                for (int i = 0; i < perClient; i++) {
                    assertTrue(ids.contains(c * 1000 + i), "client " + c + " got its own answer " + i);
                }
            }
        } finally {
            for (DatagramChannel ch : clients) {
                ch.close();
            }
        }
    }

    @Test
    void ipv6_andAnswersCarryTheQuestionsName() throws Exception {
        MmsgUdpListener server;
        try {
            server = bind("::1", 0);
        } catch (BindException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
            return;
        }
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            ch.bind(new InetSocketAddress("::1", 0));
            ch.send(ByteBuffer.wrap(query(7, "Static.Mirror.Test.")), server.localAddress());
            Message response = receive(ch);
            assertEquals(7, response.getHeader().getID());
            assertEquals(Rcode.NOERROR, response.getRcode());
            assertEquals("Static.Mirror.Test.", response.getQuestion().getName().toString(), "0x20 case kept");
            assertEquals("192.0.2.7", response.getSection(org.xbill.DNS.Section.ANSWER).get(0).rdataToString());
        }
    }

    @Test
    void anOversizeDatagram_isDroppedAndCounted_andTheNextQueryIsAnswered() throws Exception {
        MmsgUdpListener server = bind("127.0.0.1", 0);
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.bind(new InetSocketAddress("127.0.0.1", 0));
            byte[] huge = new byte[DnsListeners.UDP_RECEIVE_BUFFER + 100];
            System.arraycopy(query(1, "ns1.mirror.test."), 0, huge, 0, 12);
            ch.send(ByteBuffer.wrap(huge), server.localAddress());
            ch.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), server.localAddress()); // short: no answer
            ch.send(ByteBuffer.wrap(query(2, "ns1.mirror.test.")), server.localAddress());
            assertEquals(2, receive(ch).getHeader().getID(), "only the well-formed query is answered");
        }
        assertEquals(1.0, fixture.registry.get("yunjing.dns.dropped").tag("reason", "oversize").counter().count());
        assertEquals(1.0, fixture.registry.get("yunjing.dns.dropped").tag("reason", "short").counter().count());
    }

    @Test
    void aPortHeldWithoutReusePort_isABindErrorNamingTheAddress() throws Exception {
        try (DatagramChannel holder = DatagramChannel.open(StandardProtocolFamily.INET)) {
            holder.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) holder.getLocalAddress()).getPort();
            BindException e = assertThrows(BindException.class, () -> bind("127.0.0.1", port));
            assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("in use"), e.getMessage());
        }
    }

    @Test
    void close_releasesThePortAndTheThread_andIsIdempotent() throws Exception {
        long before = openDescriptors();
        MmsgUdpListener server = bind("127.0.0.1", 0);
        InetSocketAddress address = server.localAddress();
        assertTrue(server.isActive());
        server.close(true);
        server.close(true);
        assertFalse(server.isActive());
        assertEquals(before, openDescriptors(), "the socket's descriptor is closed");
        try (DatagramChannel again = DatagramChannel.open(StandardProtocolFamily.INET)) {
            again.bind(address); // no SO_REUSEPORT: succeeds only if the old socket is gone
        }
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("dns-udp-test")),
                "the serving thread ended");
    }

    private static byte[] query(int id, String name) {
        Message m = Message.newQuery(Record.newRecord(name(name), Type.A, DClass.IN));
        m.getHeader().setID(id);
        return m.toWire();
    }

    private static Message receive(DatagramChannel ch) throws Exception {
        ch.configureBlocking(true);
        ch.socket().setSoTimeout(5000);
        var packet = new java.net.DatagramPacket(new byte[2048], 2048);
        ch.socket().receive(packet);
        return new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
    }

    private static long openDescriptors() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
