package yunjing.dns.health;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import yunjing.dns.DnsTarget;
import yunjing.dns.testing.Await;
import yunjing.dns.testing.FakeReadyz;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthCheckerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private FakeReadyz readyz;
    private HealthChecker checker;

    @BeforeEach
    void startFakeNodes() throws IOException {
        readyz = new FakeReadyz();
    }

    @AfterEach
    void stop() {
        if (checker != null) {
            checker.close();
        }
        readyz.close();
    }

    private HealthChecker start(List<DnsTarget> targets, int failuresToMarkDown) {
        checker = new HealthChecker(targets, Duration.ofMillis(20), failuresToMarkDown, Duration.ofSeconds(1));
        checker.start();
        return checker;
    }

    private DnsTarget target(String id, URI url) throws IOException {
        return new DnsTarget(id, InetAddress.getByName("192.0.2.1"), "SH", "telecom", 1, url);
    }

    @Test
    void firstRoundFinishesAndProbesEveryTarget() throws IOException {
        HealthChecker c = start(List.of(target("a", readyz.url("a")), target("b", readyz.url("b"))), 3);
        Await.until("first round", WAIT, c::firstRoundDone);
        assertTrue(readyz.hits("a") >= 1);
        assertTrue(readyz.hits("b") >= 1);
        assertEquals(Map.of("a", true, "b", true), c.snapshot());
    }

    @Test
    void failingTargetGoesDownAfterConsecutiveFailuresAndComesBackAfterOneSuccess() throws IOException {
        readyz.set("b", 503);
        HealthChecker c = start(List.of(target("a", readyz.url("a")), target("b", readyz.url("b"))), 3);
        Await.until("b down", WAIT, () -> !c.isHealthy("b"));
        assertTrue(readyz.hits("b") >= 3, "not before the third failure: " + readyz.hits("b"));
        assertTrue(c.isHealthy("a"));
        readyz.set("b", 200);
        Await.until("b up", WAIT, () -> c.isHealthy("b"));
    }

    @Test
    void targetSayingItIsDraining_leavesAtOnceAndReturnsWhenItStops() throws IOException {
        HealthChecker c = start(List.of(target("a", readyz.url("a")), target("b", readyz.url("b"))), 3);
        Await.until("first round", WAIT, c::firstRoundDone);
        int before = readyz.hits("b");
        readyz.set("b", 503, "{\"ready\":false,\"draining\":true}");
        Await.until("b draining", WAIT, () -> !c.isHealthy("b"));
        assertTrue(readyz.hits("b") - before < 3, "after one probe, not three failures: " + (readyz.hits("b") - before));
        assertTrue(c.isDraining("b"));
        readyz.set("b", 200, "{\"ready\":true,\"draining\":false}");
        Await.until("b back", WAIT, () -> c.isHealthy("b"));
        assertFalse(c.isDraining("b"));
    }

    @Test
    void unreachableTargetGoesDown() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        HealthChecker c = start(List.of(target("gone", URI.create("http://127.0.0.1:" + closedPort + "/readyz"))), 1);
        Await.until("gone down", WAIT, () -> !c.isHealthy("gone"));
    }

    @Test
    void targetWithoutHealthUrlIsAlwaysHealthy() throws IOException {
        HealthChecker c = start(List.of(target("static", null)), 1);
        Await.until("first round", WAIT, c::firstRoundDone);
        Await.until("a few rounds", WAIT, () -> c.rounds() >= 3);
        assertTrue(c.isHealthy("static"));
    }

    @Test
    void unknownIdIsNotHealthy() throws IOException {
        assertFalse(start(List.of(target("a", readyz.url("a"))), 1).isHealthy("nobody"));
    }

    @Test
    void closeStopsTheHealthThread() throws Exception {
        HealthChecker c = start(List.of(target("a", readyz.url("a"))), 1);
        Await.until("first round", WAIT, c::firstRoundDone);
        c.close();
        c.close();
        Await.until("thread gone", WAIT, () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("yunjing-dns-health") && t.isAlive()));
        int hits = readyz.hits("a");
        long rounds = c.rounds();
        Thread.sleep(100); // five intervals: long enough for rounds to show up if any were still scheduled
        assertEquals(rounds, c.rounds());
        assertEquals(hits, readyz.hits("a"));
    }
}
