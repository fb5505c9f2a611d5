package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.store.Manifest;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ClockSkewGuard} against {@link FakeNtpServer}s on loopback whose clocks run ahead or behind. */
class ClockSkewGuardTest {

    private static Manifest expiringIn(Duration d) {
        String sha = "0".repeat(64);
        return new Manifest("o/m", List.of(new Manifest.Entry("a.bin", 1, sha, List.of(new Chunk(0, 1, sha)))))
                .withPublication(3, Instant.now(), Instant.now().plus(d));
    }

    private static ClockSkewGuard guard(int port, Duration maxSkew) {
        return new ClockSkewGuard("127.0.0.1:" + port, maxSkew, Duration.ofMillis(1500), Duration.ofMinutes(10), Clock.systemUTC());
    }

    @Test
    void measure_readsTheServersOffset() throws Exception {
        try (FakeNtpServer ntp = new FakeNtpServer(Duration.ofSeconds(-42))) {
            long offset = guard(ntp.port(), Duration.ofSeconds(10)).measure().offset().toMillis();
            assertTrue(Math.abs(offset + 42_000) < 100, "offset " + offset + " ms (expected: about -42000)");
        }
    }

    @Test
    void skewWithinTheBound_acceptsEvenAManifestAboutToExpire() throws Exception {
        try (FakeNtpServer ntp = new FakeNtpServer(Duration.ofSeconds(3))) {
            ClockSkewGuard guard = guard(ntp.port(), Duration.ofSeconds(10));
            assertDoesNotThrow(() -> guard.check(expiringIn(Duration.ofSeconds(2))));
        }
    }

    @Test
    void skewBeyondTheBound_refusesAManifestExpiringWithinTheSkew_butNotOneFarFromExpiry() throws Exception {
        try (FakeNtpServer ntp = new FakeNtpServer(Duration.ofMinutes(5))) {
            ClockSkewGuard guard = guard(ntp.port(), Duration.ofSeconds(10));

            ManifestRejectedException e = assertThrows(ManifestRejectedException.class,
                    () -> guard.check(expiringIn(Duration.ofMinutes(2))));
            assertTrue(e.getMessage().contains("within the local clock's skew") && e.getMessage().contains("fix the clock"),
                    e.getMessage());
            assertDoesNotThrow(() -> guard.check(expiringIn(Duration.ofDays(30))));
            // Already expired by local time but not by more than the skew: also undecidable.
            assertThrows(ManifestRejectedException.class, () -> guard.check(expiringIn(Duration.ofMinutes(-1))));
        }
    }

    @Test
    void serverThatDoesNotAnswer_onlyWarns() throws Exception {
        int silent;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            silent = s.getLocalPort(); // bound, then closed: nobody answers there
        }
        ClockSkewGuard guard = new ClockSkewGuard("127.0.0.1:" + silent, Duration.ofSeconds(1), Duration.ofMillis(300),
                Duration.ofMinutes(10), Clock.systemUTC());

        assertNull(guard.skew());
        assertDoesNotThrow(() -> guard.check(expiringIn(Duration.ofSeconds(1))));
    }

    @Test
    void serverSpec_withABadPort_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClockSkewGuard("ntp.example:abc", Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("HOST:PORT"), e.getMessage());
    }
}
