package yunjing.sync.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.rollout.ReplicaFollower;
import yunjing.sync.rollout.RolloutController;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replicas following their rollout refs over HTTP: canary first, promote, rollback past the version floor, bad key. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicaFollowerTest {

    static final String REPO = "acme/m";

    @TempDir
    Path tmp;

    @Test
    void canaryThenPromoteThenRollback_overHttp_withVerifiedManifests() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        ArtifactStore origin = ArtifactStore.builder(tmp.resolve("origin"))
                .signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{\"v\":1}");
        Revision a = origin.publish(REPO, "main", src);
        RolloutController control = new RolloutController(origin, List.of("canary", "other"), Set.of("canary"),
                tmp.resolve("rollout.json"), Clock.systemUTC());
        control.observePublished();
        try (HttpClient client = HttpClient.newHttpClient(); ArtifactTestServer server = new ArtifactTestServer(origin)) {
            ArtifactStore canaryStore = new ArtifactStore(tmp.resolve("canary"));
            ArtifactStore otherStore = new ArtifactStore(tmp.resolve("other"));
            ReplicaFollower canary = follower("canary", canaryStore, keys, client, server);
            ReplicaFollower other = follower("other", otherStore, keys, client, server);
            canary.pollOnce();
            other.pollOnce();
            assertEquals(a.id(), canaryStore.revisionId(REPO, "main"));
            assertEquals(a.id(), otherStore.revisionId(REPO, "main"));
            assertEquals(List.of(), other.pollOnce(), "unchanged: a 304, nothing synced");

            Files.writeString(src.resolve("config.json"), "{\"v\":2}");
            Revision b = origin.publish(REPO, "main", src);
            control.observePublished();
            assertEquals(List.of(REPO), canary.pollOnce());
            assertEquals(List.of(), other.pollOnce());
            assertEquals(b.id(), canaryStore.revisionId(REPO, "main"));
            assertEquals(a.id(), otherStore.revisionId(REPO, "main"), "not a canary: stays until promote");

            control.promote(REPO, b.id());
            other.pollOnce();
            assertEquals(b.id(), otherStore.revisionId(REPO, "main"));

            control.rollback(REPO, null);
            canary.pollOnce();
            other.pollOnce();
            assertEquals(a.id(), canaryStore.revisionId(REPO, "main"));
            assertEquals(a.id(), otherStore.revisionId(REPO, "main"));
            assertEquals("{\"v\":1}", Files.readString(otherStore.resolve(REPO, "main").directory().resolve("config.json")));
            assertEquals("synced", other.status().get("repos").get(0).get("state").asText());
            assertEquals(a.id(), other.status().get("repos").get(0).get("revision").asText());
            assertTrue(other.status().get("repos").get(0).get("version").asLong() > b.manifest().version(),
                    "went back to a, re-signed above b");
        }
    }

    @Test
    void manifestSignedByAnotherKey_isRefused_andNothingActivates() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        ArtifactStore origin = ArtifactStore.builder(tmp.resolve("origin"))
                .signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{}");
        origin.publish(REPO, "main", src);
        new RolloutController(origin, List.of("n"), Set.of(), tmp.resolve("rollout.json"), Clock.systemUTC()).observePublished();
        try (HttpClient client = HttpClient.newHttpClient(); ArtifactTestServer server = new ArtifactTestServer(origin)) {
            ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
            ReplicaFollower follower = follower("n", replica, Ed25519Keys.generate(), client, server);
            assertEquals(List.of(), follower.pollOnce());
            assertEquals("refused", follower.attempts().get(REPO).state());
            assertTrue(!replica.hasRepo(REPO) || !replica.hasRef(REPO, "main"));
        }
    }

    private static ReplicaFollower follower(String node, ArtifactStore store, KeyPair trusted, HttpClient client,
                                            ArtifactTestServer server) throws IOException {
        DeltaAgent agent = DeltaAgent.builder(store, new ManifestVerifier(trusted.getPublic(), Clock.systemUTC()),
                HttpChunkSource.cacheable(client, server.uri(), Duration.ofSeconds(10))).build();
        return new ReplicaFollower(node, store, agent,
                List.of(new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10))), List.of(REPO), Clock.systemUTC());
    }
}
