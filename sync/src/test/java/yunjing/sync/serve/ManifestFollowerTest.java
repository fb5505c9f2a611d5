package yunjing.sync.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.agent.ManifestFollower;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A replica following its parent with conditional polls of the manifest served by the artifact handler. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManifestFollowerTest {

    @TempDir
    Path tmp;

    @Test
    void pollOnce_syncsNewManifests_andCostsA304WhenNothingChanged() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        ArtifactStore origin = ArtifactStore.builder(tmp.resolve("origin"))
                .signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{\"v\":1}");
        origin.publish("acme/m", "main", src);
        try (HttpClient client = HttpClient.newHttpClient(); ArtifactTestServer server = new ArtifactTestServer(origin)) {
            ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
            DeltaAgent agent = DeltaAgent.builder(replica, new ManifestVerifier(keys.getPublic(), Clock.systemUTC()),
                    HttpChunkSource.cacheable(client, server.uri(), Duration.ofSeconds(10))).build();
            ManifestFollower follower = new ManifestFollower(agent,
                    new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10)), "acme/m", "main", r -> { });

            assertTrue(follower.pollOnce().isPresent(), "first poll syncs");
            assertTrue(follower.pollOnce().isEmpty(), "unchanged: nothing synced");

            Files.writeString(src.resolve("config.json"), "{\"v\":2}");
            Revision second = origin.publish("acme/m", "main", src);
            assertEquals(second.id(), follower.pollOnce().orElseThrow().revision().id());
            assertEquals("{\"v\":2}", Files.readString(replica.resolve("acme/m", "main").directory().resolve("config.json")));
        }
    }
}
