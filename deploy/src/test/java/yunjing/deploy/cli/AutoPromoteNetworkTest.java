package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sync.auto_promote_s}: the control node promotes a canary rollout by itself once the canary
 * (sh-regional) has had the new revision active and been ready for the soak, asking it over its admin
 * port as {@code yunjing sync status} does.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AutoPromoteNetworkTest {

    @TempDir
    Path tmp;

    @Test
    void canaryThatSoaksHealthy_isPromotedWithoutAnOperator() throws Exception {
        try (RolloutNetwork net = new RolloutNetwork(tmp, "  auto_promote_s: 4")) {
            Path v1 = Files.createDirectories(tmp.resolve("v1"));
            Files.writeString(v1.resolve("config.json"), "{\"v\":1}");
            String rev1 = net.publish(v1);
            for (String node : List.of("sh-regional", "bj-central", "gz-regional")) {
                net.awaitActive(node, rev1);
            }

            Path v2 = Files.createDirectories(tmp.resolve("v2"));
            Files.writeString(v2.resolve("config.json"), "{\"v\":2}");
            String rev2 = net.publish(v2);
            net.awaitActive("sh-regional", rev2);
            assertEquals(rev1, net.active("bj-central"), "the others wait for the soak");
            RolloutNetwork.Result during = net.cli("rollout", "status", RolloutNetwork.REPO);
            assertTrue(during.out().contains("canary:    " + rev2) || during.out().contains("stable:    " + rev2), during.out());

            long started = System.nanoTime();
            for (String node : List.of("bj-central", "gz-regional")) {
                net.awaitActive(node, rev2);
            }
            assertTrue(System.nanoTime() - started >= TimeUnit.SECONDS.toNanos(1),
                    "promoted only after the canary had soaked");
            RolloutNetwork.Result after = net.cli("rollout", "status", RolloutNetwork.REPO);
            assertEquals(0, after.code(), after.err());
            assertTrue(after.out().contains("stable:    " + rev2), after.out());
        }
    }
}
