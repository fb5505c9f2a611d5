package yunjing.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.testing.Await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/** Response rate limiting with slip and the TCP connection limit on a real server. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DnsProtectionTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    private static DnsServer start(int rrl, int slip, int maxTcp) throws Exception {
        DnsServer server = dns.start(config(rrl, slip, maxTcp));
        Await.until("ready", WAIT, server::isReady);
        return server;
    }

    private static DnsConfig config(int rrl, int slip, int maxTcp) {
        DnsConfig c = dns.config();
        return new DnsConfig(c.zone(), c.bind(), c.serviceNames(), c.targets(),
                c.nameserverAddresses(), c.zoneFile(), c.answerTtlSeconds(), c.maxAnswers(), c.healthInterval(),
                c.failuresToMarkDown(), c.locator(), 0, null, rrl, slip, maxTcp);
    }

    private static byte[] query(int id) {
        Message q = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        q.getHeader().setID(id);
        return q.toWire();
    }

    private double counter(String name, String... tags) {
        var c = dns.registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** Answers a {@link #flood} got back: full ones, and truncated ones (slipped, no answer records). */
    private record Received(int full, int truncated) {
    }

    /** Sends {@code count} queries from one socket at once and reads what comes back within 500 ms. */
    private static Received flood(DnsServer server, int count) throws IOException {
        int full = 0;
        int truncated = 0;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(500);
            for (int i = 0; i < count; i++) {
                byte[] q = query(i);
                s.send(new DatagramPacket(q, q.length, server.udpAddress()));
            }
            byte[] buf = new byte[4096];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException e) {
                    return new Received(full, truncated);
                }
                Message r = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                if (r.getHeader().getFlag(Flags.TC)) {
                    assertEquals(0, r.getSection(Section.ANSWER).size());
                    truncated++;
                } else {
                    assertEquals(2, r.getSection(Section.ANSWER).size());
                    full++;
                }
            }
        }
    }

    @Test
    void udpFloodFromOneClientIsLimitedAndEverySecondLimitedResponseSlips() throws Exception {
        DnsServer server = start(5, 2, 0);
        double droppedBefore = counter("yunjing.dns.dropped", "reason", "rate-limit");
        double slippedBefore = counter("yunjing.dns.slipped");
        int sent = 25;
        Received got = flood(server, sent);
        int full = got.full();
        int truncated = got.truncated();
        // Burst of 5 (one more if the refill at 5/s added a token while the 25 were in flight).
        assertTrue(full >= 5 && full <= 6, "full answers: " + full);
        int limited = sent - full;
        assertTrue(truncated >= limited / 2 - 1 && truncated <= limited / 2 + 1,
                "slip 2: half of " + limited + " limited responses truncated, got " + truncated);
        assertEquals(truncated, counter("yunjing.dns.slipped") - slippedBefore, 0.0);
        assertEquals(limited - truncated, counter("yunjing.dns.dropped", "reason", "rate-limit") - droppedBefore, 0.0);
    }

    @Test
    void rrlOffByDefaultAnswersEveryQuery() throws Exception {
        DnsServer server = start(0, 0, 0);
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(2000);
            for (int i = 0; i < 50; i++) {
                byte[] q = query(i);
                s.send(new DatagramPacket(q, q.length, server.udpAddress()));
                DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
                s.receive(p);
                assertEquals(i, new Message(java.util.Arrays.copyOf(p.getData(), p.getLength())).getHeader().getID());
            }
        }
    }

    @Test
    void tcpConnectionsPastTheLimitAreClosedOnAccept() throws Exception {
        DnsServer server = start(0, 0, 2);
        double before = counter("yunjing.dns.dropped", "reason", "tcp-limit");
        try (Socket a = connect(server); Socket b = connect(server)) {
            assertEquals(1, tcpQuery(a, 1));
            assertEquals(2, tcpQuery(b, 2));
            try (Socket c = connect(server)) {
                assertEquals(-1, c.getInputStream().read(), "third connection closed by the server");
            }
            Await.until("counted", WAIT, () -> counter("yunjing.dns.dropped", "reason", "tcp-limit") == before + 1);
            assertEquals(3, tcpQuery(a, 3), "the accepted ones keep working");
        }
        try (Socket d = connect(server)) {
            // Closed connections free their slots (the close is seen asynchronously: retry briefly).
            Await.until("slot free", WAIT, () -> {
                try (Socket e = connect(server)) {
                    return tcpQuery(e, 4) == 4;
                } catch (IOException ex) {
                    return false;
                }
            });
        }
    }

    @Test
    void reloadChangesRateLimitAndTcpLimit_onTheRunningListeners() throws Exception {
        DnsServer server = start(0, 2, 8);
        java.net.InetSocketAddress address = server.udpAddress();
        assertEquals(25, flood(server, 25).full(), "RRL off: every query answered");

        server.reload(config(5, 2, 1));
        assertEquals(address, server.udpAddress(), "limits change without rebinding");
        int full = flood(server, 25).full();
        assertTrue(full >= 5 && full <= 6, "RRL on at 5/s after the reload: " + full);
        double before = counter("yunjing.dns.dropped", "reason", "tcp-limit");
        try (Socket a = connect(server)) {
            assertEquals(1, tcpQuery(a, 1));
            try (Socket b = connect(server)) {
                assertEquals(-1, b.getInputStream().read(), "second connection closed: the limit is 1 now");
            }
            Await.until("counted", WAIT, () -> counter("yunjing.dns.dropped", "reason", "tcp-limit") == before + 1);
        }

        server.reload(config(0, 2, 8));
        Thread.sleep(1100); // a fresh second, so a leftover bucket would be full anyway: RRL must be off
        assertEquals(25, flood(server, 25).full(), "RRL off again");
    }

    private static Socket connect(DnsServer server) throws IOException {
        Socket s = new Socket();
        s.connect(server.tcpAddress(), 2000);
        s.setSoTimeout(2000);
        return s;
    }

    private static int tcpQuery(Socket s, int id) throws IOException {
        byte[] q = query(id);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeShort(q.length);
        out.write(q);
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] r = new byte[in.readUnsignedShort()];
        in.readFully(r);
        return new Message(r).getHeader().getID();
    }
}
