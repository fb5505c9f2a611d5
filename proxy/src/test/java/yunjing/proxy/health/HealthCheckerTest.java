package yunjing.proxy.health;

import org.junit.jupiter.api.Test;
import yunjing.proxy.ParentConfig;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestOrigin;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthCheckerTest {

    @Test
    void parentHealth_unknownCountsAsDown_upAfterOneSuccess_downAfterThreeFailures() {
        ParentHealth health = new ParentHealth();
        assertFalse(health.healthy());
        health.success();
        assertTrue(health.healthy());
        health.failure();
        health.failure();
        assertTrue(health.healthy(), "two failures are not enough");
        health.failure();
        assertFalse(health.healthy());
        health.success();
        assertTrue(health.healthy());
    }

    @Test
    void passiveFailures_countLikeFailedProbes() {
        ParentConfig parent = new ParentConfig("bj-central", Nodes.ephemeral(), java.net.URI.create("http://127.0.0.1:1/readyz"));
        try (HealthChecker checker = new HealthChecker(List.of(parent), Duration.ofHours(1), Duration.ofSeconds(1), "test")) {
            assertFalse(checker.isHealthy("bj-central"));
            checker.reportFailure("bj-central");
            checker.reportFailure("no-such-parent");
            assertEquals(Map.of("bj-central", false), checker.snapshot());
        }
    }

    @Test
    void probes_followTheReadyzStatus() throws Exception {
        try (TestOrigin origin = new TestOrigin();
             HealthChecker checker = new HealthChecker(List.of(Nodes.origin(origin)), Duration.ofMillis(50),
                     Duration.ofSeconds(1), "test")) {
            checker.start();
            Nodes.await("up", checker::anyHealthy);
            origin.readyzStatus.set(503);
            Nodes.await("down", () -> !checker.anyHealthy());
            origin.readyzStatus.set(200);
            Nodes.await("up again", () -> checker.isHealthy("origin"));
        }
    }
}
