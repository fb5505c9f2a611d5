package yunjing.sync.rollout;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rollout decisions as node refs in the origin store: canary first, promote, rollback, pins, restart. */
class RolloutControllerTest {

    static final String REPO = "acme/m";
    static final List<String> NODES = List.of("central", "canary", "regional");

    @TempDir
    Path tmp;
    ArtifactStore store;
    Path src;

    @BeforeEach
    void setUp() throws IOException {
        KeyPair keys = Ed25519Keys.generate();
        store = ArtifactStore.builder(tmp.resolve("origin")).signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        src = Files.createDirectories(tmp.resolve("src"));
    }

    Revision publish(String content) throws IOException {
        Files.writeString(src.resolve("config.json"), content);
        return store.publish(REPO, "main", src);
    }

    RolloutController controller() throws IOException {
        return new RolloutController(store, NODES, Set.of("canary"), tmp.resolve("state/rollout.json"), Clock.systemUTC());
    }

    String target(String node) throws IOException {
        return store.revisionId(REPO, RolloutController.nodeRef(node));
    }

    @Test
    void newPublish_goesToCanariesFirst_thenEverywhereOnPromote() throws IOException {
        Revision a = publish("a");
        RolloutController c = controller();
        c.observePublished();
        for (String n : NODES) {
            assertEquals(a.id(), target(n), n + " starts on the first revision");
        }
        Revision b = publish("b");
        c.observePublished();
        assertEquals(b.id(), target("canary"));
        assertEquals(a.id(), target("central"));
        assertEquals(a.id(), target("regional"));
        assertEquals("canary", c.status(REPO).get("repos").get(0).get("phase").asText());

        c.promote(REPO, b.id());
        for (String n : NODES) {
            assertEquals(b.id(), target(n));
        }
        assertNull(c.rollout(REPO).canary());
        assertEquals(List.of(a.id()), c.rollout(REPO).history());
    }

    @Test
    void rollbackAfterPromote_sendsEveryNodeBack_withANewerSignedManifest() throws IOException {
        Revision a = publish("a");
        RolloutController c = controller();
        c.observePublished();
        Revision b = publish("b");
        c.observePublished();
        c.promote(REPO, null);
        long newest = store.lastVersion(REPO);

        c.rollback(REPO, null);
        for (String n : NODES) {
            assertEquals(a.id(), target(n));
        }
        // Replicas refuse a version below the one they accepted: going back re-signs the old revision.
        assertTrue(store.resolve(REPO, a.id()).manifest().version() > newest);
        assertEquals(b.id(), store.revisionId(REPO, "main"), "the origin's own ref does not move");
        c.observePublished();
        assertEquals(a.id(), target("canary"), "the rolled-back revision is not started again by itself");
    }

    @Test
    void rollbackDuringCanary_returnsTheCanaries() throws IOException {
        Revision a = publish("a");
        RolloutController c = controller();
        c.observePublished();
        publish("b");
        c.observePublished();
        c.rollback(REPO, null);
        assertEquals(a.id(), target("canary"));
        assertThrows(IllegalArgumentException.class, () -> c.promote(REPO, null), "nothing left to promote");
    }

    @Test
    void pin_keepsANodeOnItsRevision_untilUnpinned() throws IOException {
        Revision a = publish("a");
        RolloutController c = controller();
        c.observePublished();
        c.pin("regional", REPO, a.id());
        Revision b = publish("b");
        c.observePublished();
        c.promote(REPO, null);
        assertEquals(a.id(), target("regional"));
        assertEquals(b.id(), target("central"));
        long before = store.resolve(REPO, b.id()).manifest().version();
        c.pin("regional", REPO, null);
        assertEquals(b.id(), target("regional"));
        assertEquals(before, store.resolve(REPO, b.id()).manifest().version(), "b was already the newest: not re-signed");
    }

    @Test
    void state_survivesARestart() throws IOException {
        Revision a = publish("a");
        controller().observePublished();
        Revision b = publish("b");
        RolloutController first = controller();
        first.observePublished();
        first.pin("central", REPO, a.id());

        RolloutController second = controller();
        assertEquals(b.id(), second.rollout(REPO).canary());
        assertEquals(a.id(), second.rollout(REPO).pins().get("central"));
        second.promote(REPO, null);
        assertEquals(b.id(), target("regional"));
    }

    @Test
    void badInput_isRefusedWithAMessageNamingIt() throws IOException {
        Revision a = publish("a");
        RolloutController c = controller();
        c.observePublished();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.start("acme/none", a.id()));
        assertTrue(e.getMessage().contains("unknown repository 'acme/none'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.start(REPO, "0".repeat(40)));
        assertTrue(e.getMessage().contains("unknown revision"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.start(REPO, a.id()));
        assertTrue(e.getMessage().contains("already the stable revision"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.pin("edge", REPO, a.id()));
        assertTrue(e.getMessage().contains("keeps no artifacts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.rollback(REPO, null));
        assertTrue(e.getMessage().contains("no earlier revision"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.start(REPO, "../x"));
    }

    @Test
    void fixedPin_winsOverTheRollout_andCannotBeUnpinnedAtRunTime() throws IOException {
        Revision a = publish("a");
        RolloutController c = new RolloutController(store, NODES, Set.of("canary"),
                java.util.Map.of("regional", java.util.Map.of(REPO, a.id())), tmp.resolve("state/rollout.json"), Clock.systemUTC());
        c.observePublished();
        Revision b = publish("b");
        c.observePublished();
        c.promote(REPO, null);
        assertEquals(b.id(), target("central"));
        assertEquals(a.id(), target("regional"));
        assertEquals(a.id(), c.status(REPO).get("repos").get(0).get("fixedPins").get("regional").asText());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.pin("regional", REPO, null));
        assertTrue(e.getMessage().contains("topology sync.pins"), e.getMessage());
    }

    @Test
    void pruneRevisions_keepsTheNewest_andEveryRevisionTheRolloutNames() throws IOException {
        Revision a = publish("a");
        RolloutController c = controller();
        c.observePublished();
        Revision b = publish("b");
        c.observePublished();
        c.promote(REPO, b.id());                 // a → history
        Revision pinned = publish("pinned");
        c.observePublished();
        c.pin("regional", REPO, pinned.id());
        Revision skipped = publish("skipped");   // a canary replaced before promotion: nothing names it
        c.observePublished();
        Revision d = publish("d");
        c.observePublished();                    // d is the canary and the latest published
        touchOldestFirst(a, b, pinned, skipped, d);

        assertEquals(List.of(), c.pruneRevisions(0), "0 keeps everything");
        assertEquals(List.of(REPO + "@" + skipped.id()), c.pruneRevisions(1));
        List<String> left = store.revisions(REPO);
        for (Revision kept : List.of(a, b, pinned, d)) {
            assertTrue(left.contains(kept.id()), kept.id() + " is named by the rollout");
            assertEquals(kept.id(), store.resolve(REPO, kept.id()).id());
        }
        assertFalse(left.contains(skipped.id()));
        assertEquals(List.of(), c.pruneRevisions(1), "nothing more to delete");
        assertThrows(IllegalArgumentException.class, () -> c.pruneRevisions(-1));
        c.promote(REPO, d.id());                 // the rollout goes on after pruning
        assertEquals(d.id(), target("central"));
    }

    /** Publication order as directory mtimes a second apart (publishes within one test share a second). */
    private void touchOldestFirst(Revision... oldestFirst) throws IOException {
        long now = System.currentTimeMillis();
        for (int i = 0; i < oldestFirst.length; i++) {
            Path dir = tmp.resolve("origin/repos").resolve(REPO).resolve("revisions").resolve(oldestFirst[i].id());
            Files.setLastModifiedTime(dir, java.nio.file.attribute.FileTime.fromMillis(now - (oldestFirst.length - i) * 1000L));
        }
    }
}
