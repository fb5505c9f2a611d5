package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.store.ArtifactStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sync.origin_keep_revisions}: the control node deletes the origin's revisions past the newest
 * ones, never one the rollout still names. A canary replaced before promotion is the one to go.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OriginPruneNetworkTest {

    @TempDir
    Path tmp;

    @Test
    void aCanaryReplacedBeforePromotion_leavesTheOrigin_theStableAndTheNewCanaryStay() throws Exception {
        try (RolloutNetwork net = new RolloutNetwork(tmp, "  origin_keep_revisions: 1")) {
            String stable = net.publish(version("v1"));
            for (String node : List.of("sh-regional", "bj-central", "gz-regional")) {
                net.awaitActive(node, stable);
            }
            String replaced = net.publish(version("v2"));
            net.awaitActive("sh-regional", replaced);
            String canary = net.publish(version("v3"));
            net.awaitActive("sh-regional", canary);

            ArtifactStore origin = new ArtifactStore(net.state.artifacts());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (origin.revisions(RolloutNetwork.REPO).contains(replaced)) {
                assertTrue(System.nanoTime() < deadline, "the replaced canary was never pruned: "
                        + origin.revisions(RolloutNetwork.REPO));
                Thread.sleep(100);
            }
            List<String> left = origin.revisions(RolloutNetwork.REPO);
            assertTrue(left.contains(stable), "the stable revision stays: " + left);
            assertTrue(left.contains(canary), "the canary stays: " + left);
            assertEquals(stable, net.active("bj-central"));

            RolloutNetwork.Result promoted = net.cli("rollout", "promote", RolloutNetwork.REPO, canary);
            assertEquals(0, promoted.code(), promoted.err());
            for (String node : List.of("bj-central", "gz-regional")) {
                net.awaitActive(node, canary);
            }
        }
    }

    private Path version(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), "{\"v\":\"" + name + "\"}");
        return dir;
    }
}
