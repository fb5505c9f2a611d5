package yunjing.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.testing.Await;
import yunjing.dns.testing.PacketFuzzer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static yunjing.dns.testing.TestZone.name;

/**
 * Floods a real server with malformed and random UDP packets from a few sockets, interleaved with
 * valid queries, and checks that valid queries keep being answered, that no exception happened
 * while handling any packet ({@code yunjing.dns.errors} stays 0), and that heap after GC stays
 * bounded. {@code yunjing.fuzz.packets} sets the count (default 20 000); the acceptance run of
 * issue 5 is a million:
 * <pre>
 * mvn -o -q -pl dns -am test -Dtest=DnsFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dyunjing.fuzz.packets=1000000
 * </pre>
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES) // the full-size run; the default one takes seconds
class DnsFuzzTest {

    private static final int PACKETS = Integer.getInteger("yunjing.fuzz.packets", 20_000);
    private static final long SEED = Long.getLong("yunjing.fuzz.seed", 7);
    /** A valid query is checked after every this many fuzz packets; it also paces the senders. */
    private static final int CHECK_EVERY = 500;
    private static final int SENDERS = 3;
    private static final long HEAP_GROWTH_LIMIT = 64L << 20;

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    @Test
    void malformedFloodNeverStopsValidAnswersNorLeaksNorThrows() throws Exception {
        DnsServer server = dns.start();
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        double errorsBefore = dns.registry.counter("yunjing.dns.errors").count();
        long heapBefore = usedHeapAfterGc();
        PacketFuzzer fuzzer = new PacketFuzzer(SEED);
        List<DatagramSocket> senders = new ArrayList<>();
        try (DatagramSocket checker = socket()) {
            for (int i = 0; i < SENDERS; i++) {
                senders.add(socket());
            }
            int checks = 0;
            for (int i = 0; i < PACKETS; i++) {
                byte[] p = fuzzer.next();
                senders.get(i % SENDERS).send(new DatagramPacket(p, p.length, server.udpAddress()));
                if ((i + 1) % CHECK_EVERY == 0) {
                    drain(senders);
                    assertAnswered(checker, server, i / CHECK_EVERY);
                    checks++;
                }
            }
            assertAnswered(checker, server, checks);
        } finally {
            senders.forEach(DatagramSocket::close);
        }
        assertEquals(0.0, dns.registry.counter("yunjing.dns.errors").count() - errorsBefore,
                "exceptions while handling packets (seed " + SEED + ")");
        long growth = usedHeapAfterGc() - heapBefore;
        assertTrue(growth < HEAP_GROWTH_LIMIT, "heap after GC grew by " + (growth >> 20) + " MiB");
        assertTrue(server.isReady());
    }

    private static DatagramSocket socket() throws IOException {
        DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        s.setSoTimeout(1);
        return s;
    }

    /** Reads away the answers to fuzz packets, so the senders' receive buffers never fill. */
    private static void drain(List<DatagramSocket> senders) throws IOException {
        byte[] buf = new byte[4096];
        for (DatagramSocket s : senders) {
            for (int n = 0; n < 10_000; n++) {
                try {
                    s.receive(new DatagramPacket(buf, buf.length));
                } catch (SocketTimeoutException e) {
                    break;
                }
            }
        }
    }

    /**
     * A valid A query is answered correctly. Under a flood a datagram may be lost on loopback, so a
     * few attempts are allowed, each with its own id; stale answers to earlier attempts are skipped.
     */
    private static void assertAnswered(DatagramSocket s, DnsServer server, int id) throws IOException {
        s.setSoTimeout(1000);
        Message q = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        byte[] buf = new byte[4096];
        for (int attempt = 0; attempt < 3; attempt++) {
            int qid = (id * 4 + attempt) & 0xFFFF;
            q.getHeader().setID(qid);
            byte[] wire = q.toWire();
            s.send(new DatagramPacket(wire, wire.length, server.udpAddress()));
            try {
                while (true) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    Message r = new Message(Arrays.copyOf(p.getData(), p.getLength()));
                    if (r.getHeader().getID() == qid) {
                        assertEquals(Rcode.NOERROR, r.getRcode());
                        assertEquals(2, r.getSection(Section.ANSWER).size());
                        return;
                    }
                }
            } catch (SocketTimeoutException e) {
                // lost: try again
            }
        }
        fail("valid query " + id + " not answered in 3 attempts (seed " + SEED + ")");
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            min = Math.min(min, memory.getHeapMemoryUsage().getUsed());
        }
        return min;
    }
}
