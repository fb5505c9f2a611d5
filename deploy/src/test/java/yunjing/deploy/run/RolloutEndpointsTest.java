package yunjing.deploy.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.admin.AdminEndpoint;
import yunjing.sync.rollout.RolloutController;
import yunjing.sync.store.ArtifactStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control node's admin operations: JSON bodies in, the rollout out, bad input as 400 (IllegalArgumentException). */
class RolloutEndpointsTest {

    @TempDir
    Path tmp;

    @Test
    void operations_readTheirJsonBody_andRefuseBadOnesWithTheReason() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("a.txt"), "1");
        String a = store.publish("acme/m", "main", src).id();
        Files.writeString(src.resolve("a.txt"), "2");
        String b = store.publish("acme/m", "next", src).id();
        RolloutController controller = new RolloutController(store, List.of("r1", "r2"), Set.of("r1"),
                tmp.resolve("rollout.json"), Clock.systemUTC());
        controller.observePublished();
        Map<String, AdminEndpoint> ops = RolloutEndpoints.of(controller);

        String started = ops.get("/rollout/start").handle("{\"repo\":\"acme/m\",\"revision\":\"next\"}");
        assertTrue(started.contains("\"canary\":\"" + b + "\""), started);
        assertTrue(started.contains("\"r1\":\"" + b + "\"") && started.contains("\"r2\":\"" + a + "\""), started);
        assertTrue(ops.get("/rollout/status").handle("").contains("\"phase\":\"canary\""));

        assertEquals("missing 'repo'", assertThrows(IllegalArgumentException.class,
                () -> ops.get("/rollout/promote").handle("{}")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ops.get("/rollout/start").handle("{\"repo\":")).getMessage().startsWith("body is not JSON"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ops.get("/rollout/start").handle("[1]")).getMessage().contains("expected a JSON object"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ops.get("/rollout/pin").handle("{\"repo\":\"acme/m\",\"node\":\"edge\",\"revision\":\"main\"}"))
                .getMessage().contains("keeps no artifacts"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ops.get("/rollout/status").handle("{\"repo\":\"acme/x\"}")).getMessage().contains("unknown repository"));
    }
}
