package yunjing.deploy.bench.wan;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import yunjing.common.net.EventLoops;
import yunjing.proxy.testing.LeakCheck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The WAN relay against a blocking loopback server: delay, bandwidth, faults at their rate, no leaks. */
@ExtendWith(LeakCheck.class)
class WanRelayTest {

    static EventLoops loops;
    static ServerSocket server;
    static Thread acceptor;
    final List<WanRelay> relays = new ArrayList<>();

    /**
     * A loopback server: per connection, reads a 4-byte length n and then answers n bytes of a pattern
     * (n < 0: reads -n bytes and answers how many it got, as 4 bytes).
     */
    @BeforeAll
    static void startServer() throws IOException {
        loops = EventLoops.create(2, "relay-test");
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    private static void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            while (true) {
                byte[] head = in.readNBytes(4);
                if (head.length < 4) {
                    return;
                }
                int n = java.nio.ByteBuffer.wrap(head).getInt();
                if (n < 0) {
                    int total = in.readNBytes(-n).length;
                    out.write(java.nio.ByteBuffer.allocate(4).putInt(total).array());
                    out.flush();
                    continue;
                }
                out.write(pattern(n));
                out.flush();
            }
        } catch (IOException ignored) {
            // the relay reset the connection: expected in fault tests
        }
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31);
        }
        return b;
    }

    @AfterEach
    void closeRelays() {
        relays.forEach(WanRelay::close);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
        acceptor.join(2000);
        loops.close();
    }

    private WanRelay relay(LinkProfile profile) throws InterruptedException {
        WanRelay relay = WanRelay.start(profile, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (InetSocketAddress) server.getLocalSocketAddress(), loops, 7);
        relays.add(relay);
        return relay;
    }

    private static byte[] request(Socket s, int n) throws IOException {
        s.getOutputStream().write(java.nio.ByteBuffer.allocate(4).putInt(n).array());
        s.getOutputStream().flush();
        return s.getInputStream().readNBytes(n);
    }

    private static Socket connect(WanRelay relay) throws IOException {
        Socket s = new Socket();
        s.connect(relay.address(), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void roundTrip_takesAtLeastTwiceTheOneWayDelay_andKeepsTheBytes() throws Exception {
        WanRelay relay = relay(new LinkProfile("test", Duration.ofMillis(40), Duration.ZERO, 0, FaultPlan.NONE));
        try (Socket s = connect(relay)) {
            request(s, 10); // first turn
            long start = System.nanoTime();
            byte[] answer = request(s, 1000);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertArrayEquals(pattern(1000), answer);
            assertTrue(millis >= 80, "RTT " + millis + " ms (expected >= 80)");
            assertTrue(millis < 5000, "RTT " + millis + " ms");
        }
    }

    @Test
    void firstRequestOnANewConnection_paysTheHandshakeRoundTripToo() throws Exception {
        WanRelay relay = relay(new LinkProfile("test", Duration.ofMillis(40), Duration.ZERO, 0, FaultPlan.NONE));
        long start = System.nanoTime();
        try (Socket s = connect(relay)) {
            assertArrayEquals(pattern(10), request(s, 10));
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 160, "connect + first exchange " + millis + " ms (expected >= 2 RTT = 160)");
    }

    @Test
    void upload_isPacedAtTheBandwidthCap() throws Exception {
        WanRelay relay = relay(new LinkProfile("slow", Duration.ZERO, Duration.ZERO, 8_000_000L, FaultPlan.NONE));
        byte[] body = new byte[1_000_000]; // 8 Mbit at 8 Mbit/s: at least one second
        try (Socket s = connect(relay)) {
            long start = System.nanoTime();
            s.getOutputStream().write(java.nio.ByteBuffer.allocate(4).putInt(-body.length).array());
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            int received = java.nio.ByteBuffer.wrap(s.getInputStream().readNBytes(4)).getInt();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(body.length, received);
            assertTrue(millis >= 950, "1 MB in " + millis + " ms at 8 Mbit/s (expected >= ~1000)");
            assertTrue(millis < 20_000, "1 MB in " + millis + " ms");
        }
        assertEquals(4 + body.length, relay.stats().bytesUp());
    }

    @Test
    void aTargetThatDoesNotRead_stopsTheRelayReading_soMemoryStaysBounded() throws Exception {
        try (ServerSocket deaf = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            WanRelay relay = WanRelay.start(LinkProfile.local("deaf"), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    (InetSocketAddress) deaf.getLocalSocketAddress(), loops, 1);
            relays.add(relay);
            Socket client = connect(relay);
            Socket accepted = deaf.accept(); // accepted, never read
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    for (int i = 0; i < 1024; i++) { // 64 MiB, far more than any socket buffers hold
                        client.getOutputStream().write(chunk);
                    }
                } catch (IOException closed) {
                    // the test closes the socket under the blocked writer
                }
            });
            long last = -1;
            for (int i = 0; i < 100 && relay.stats().bytesUp() != last; i++) {
                last = relay.stats().bytesUp();
                Thread.sleep(200); // until the relay has stopped taking more
            }
            long taken = relay.stats().bytesUp();
            assertTrue(writer.isAlive(), "the client's writes block: the relay stopped reading");
            assertTrue(taken < 32L << 20, "the relay took " + taken + " bytes of 64 MiB while its target read none");
            client.close();
            accepted.close();
            writer.join(5000);
        }
    }

    @Test
    void refusedConnections_matchTheConfiguredRate() throws Exception {
        WanRelay relay = relay(new LinkProfile("lossy", Duration.ZERO, Duration.ZERO, 0,
                new FaultPlan(0.3, 1.0, 0, Duration.ZERO)));
        int failed = 0;
        int attempts = 200;
        for (int i = 0; i < attempts; i++) {
            try (Socket s = connect(relay)) {
                if (request(s, 100).length != 100) {
                    failed++;
                }
            } catch (SocketException reset) {
                failed++;
            }
        }
        assertEquals(relay.stats().faults(FaultKind.REFUSE), failed, "every refusal drawn is one failed request");
        // Binomial(200, 0.3): mean 60, sd 6.5; these bounds are > 4 sd away.
        assertTrue(failed >= 30 && failed <= 90, failed + " of " + attempts + " refused (expected ~60)");
    }

    @Test
    void reset_deliversPartOfTheResponseThenBreaks() throws Exception {
        WanRelay relay = relay(new LinkProfile("reset", Duration.ZERO, Duration.ZERO, 0,
                new FaultPlan(1.0, 0, 1.0, Duration.ZERO)));
        int got;
        try (Socket s = connect(relay)) {
            try {
                got = request(s, 2000).length;
            } catch (SocketException reset) {
                got = -1;
            }
        }
        assertTrue(got < 2000, "the response was cut short, got " + got);
        assertEquals(1, relay.stats().faults(FaultKind.RESET));
    }

    @Test
    void stall_delaysTheResponseButDeliversIt() throws Exception {
        WanRelay relay = relay(new LinkProfile("stall", Duration.ZERO, Duration.ZERO, 0,
                new FaultPlan(1.0, 0, 0, Duration.ofMillis(300))));
        try (Socket s = connect(relay)) {
            long start = System.nanoTime();
            assertArrayEquals(pattern(500), request(s, 500));
            assertTrue((System.nanoTime() - start) / 1_000_000 >= 300);
        }
    }

    @Test
    void faultPlan_drawsItsRateAndMix_fromASeed() {
        FaultPlan plan = FaultPlan.of(0.01);
        SplittableRandom random = new SplittableRandom(42);
        int[] counts = new int[FaultKind.values().length];
        int n = 200_000;
        int faults = 0;
        for (int i = 0; i < n; i++) {
            FaultKind kind = plan.draw(random);
            if (kind != null) {
                faults++;
                counts[kind.ordinal()]++;
            }
        }
        assertTrue(faults > 1700 && faults < 2300, faults + " faults in " + n + " turns at 1 %");
        assertTrue(counts[FaultKind.REFUSE.ordinal()] > 0.3 * faults && counts[FaultKind.REFUSE.ordinal()] < 0.5 * faults);
        assertTrue(counts[FaultKind.STALL.ordinal()] > 0.1 * faults && counts[FaultKind.STALL.ordinal()] < 0.3 * faults);
    }

    @Test
    void profiles_matchTheIssue() {
        assertEquals(180, LinkProfile.crossBorder().rttMillis());
        assertEquals(20_000_000L, LinkProfile.crossBorder().bitsPerSecond());
        assertTrue(LinkProfile.domesticCrossCarrier().rttMillis() > LinkProfile.domesticWithinCarrier().rttMillis());
        long edge = LinkProfile.clientToEdge().rttMillis();
        assertTrue(edge >= 5 && edge <= 10);
    }
}
