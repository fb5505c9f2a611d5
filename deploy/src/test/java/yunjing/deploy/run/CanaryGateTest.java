package yunjing.deploy.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.rollout.CanarySoak;
import yunjing.sync.rollout.RolloutController;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Automatic promotion of a canary rollout from what the canary nodes report, on a clock the test moves. */
class CanaryGateTest {

    static final String REPO = "acme/m";
    static final Duration SOAK = Duration.ofMinutes(5);

    @TempDir
    Path tmp;
    ArtifactStore store;
    Path src;
    /** The soak's clock, moved by the test. */
    Instant now = Instant.parse("2026-11-22T12:00:00Z");
    /** What each node reports: its active revision of REPO and its sync state, and whether it is ready. */
    final Map<String, String[]> reports = new HashMap<>();
    final Set<String> ready = new HashSet<>();

    final CanaryGate.NodeProbe probe = new CanaryGate.NodeProbe() {
        @Override
        public JsonNode syncStatus(String node) throws IOException {
            String[] r = reports.get(node);
            if (r == null) {
                throw new IOException(node + ": connection refused");
            }
            ObjectNode root = new ObjectMapper().createObjectNode().put("node", node);
            root.putArray("repos").addObject().put("repo", REPO).put("revision", r[0]).put("state", r[1]);
            return root;
        }

        @Override
        public boolean ready(String node) {
            return ready.contains(node);
        }
    };

    @BeforeEach
    void setUp() throws IOException {
        KeyPair keys = Ed25519Keys.generate();
        store = ArtifactStore.builder(tmp.resolve("origin")).signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        src = Files.createDirectories(tmp.resolve("src"));
    }

    private Revision publish(String content) throws IOException {
        Files.writeString(src.resolve("config.json"), content);
        return store.publish(REPO, "main", src);
    }

    private void look(CanaryGate gate, Duration after) {
        now = now.plus(after);
        gate.run();
    }

    @Test
    void canaryThatStaysHealthyForTheSoak_isPromoted_andAnyBadLookStartsTheSoakOver() throws IOException {
        Revision a = publish("a");
        RolloutController rollout = new RolloutController(store, List.of("c1", "c2", "r1"), Set.of("c1", "c2"),
                tmp.resolve("state/rollout.json"), Clock.systemUTC());
        rollout.observePublished();
        Revision b = publish("b");
        rollout.observePublished();
        assertEquals(b.id(), rollout.rollout(REPO).canary());
        CanaryGate gate = new CanaryGate(rollout, new CanarySoak(SOAK, () -> now), probe);

        reports.put("c1", new String[] {b.id(), "synced"});
        reports.put("c2", new String[] {a.id(), "synced"}); // still on the old revision
        ready.addAll(Set.of("c1", "c2"));
        look(gate, Duration.ZERO);
        look(gate, SOAK.plusMinutes(1));
        assertEquals(b.id(), rollout.rollout(REPO).canary(), "c2 has not taken it: no promote");

        reports.put("c2", new String[] {b.id(), "synced"});
        look(gate, Duration.ofSeconds(10)); // the soak starts
        ready.remove("c1");
        look(gate, Duration.ofMinutes(3)); // c1 not ready: starts over
        ready.add("c1");
        look(gate, Duration.ofSeconds(10));
        reports.put("c2", new String[] {b.id(), "failed"});
        look(gate, Duration.ofMinutes(3)); // c2 failing: starts over
        reports.put("c2", new String[] {b.id(), "synced"});
        look(gate, Duration.ofSeconds(10));
        look(gate, SOAK.minusSeconds(1));
        assertEquals(b.id(), rollout.rollout(REPO).canary(), "one second short of the soak");

        look(gate, Duration.ofSeconds(1));
        assertNull(rollout.rollout(REPO).canary(), "promoted");
        assertEquals(b.id(), rollout.rollout(REPO).stable());
        assertEquals(b.id(), store.revisionId(REPO, RolloutController.nodeRef("r1")), "every replica's target moved");
    }

    @Test
    void pinnedCanaries_unreachableNodes_andManualDecisions_areHandled() throws IOException {
        publish("a");
        RolloutController rollout = new RolloutController(store, List.of("c1", "r1"), Set.of("c1"),
                tmp.resolve("state/rollout.json"), Clock.systemUTC());
        rollout.observePublished();
        Revision b = publish("b");
        rollout.observePublished();
        CanaryGate gate = new CanaryGate(rollout, new CanarySoak(SOAK, () -> now), probe);

        ready.add("c1"); // ready, but its admin port does not answer /sync/status
        look(gate, Duration.ZERO);
        look(gate, SOAK.plusMinutes(1));
        assertEquals(b.id(), rollout.rollout(REPO).canary(), "no report: no promote");

        rollout.pin("c1", REPO, store.revisionId(REPO, rollout.rollout(REPO).stable()));
        reports.put("c1", new String[] {b.id(), "synced"});
        look(gate, Duration.ZERO);
        look(gate, SOAK.plusMinutes(1));
        assertEquals(b.id(), rollout.rollout(REPO).canary(), "every canary pinned elsewhere: nothing shows the canary works");

        rollout.pin("c1", REPO, null);
        look(gate, Duration.ZERO);
        rollout.rollback(REPO, null); // an operator decides first
        look(gate, SOAK.plusMinutes(1));
        assertNull(rollout.rollout(REPO).canary());
        Revision c = publish("c");
        rollout.observePublished();
        reports.put("c1", new String[] {c.id(), "synced"});
        look(gate, Duration.ZERO);
        look(gate, SOAK.minusSeconds(1));
        assertEquals(c.id(), rollout.rollout(REPO).canary(), "a new rollout soaks from its own start");
        look(gate, Duration.ofSeconds(1));
        assertEquals(c.id(), rollout.rollout(REPO).stable());
    }
}
