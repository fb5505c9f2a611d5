package yunjing.sync.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.agent.ChunkSource;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A sync that dies while patching chunks from the old file leaves the old revision active, and a later sync completes it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockPatchResumeTest {

    @TempDir
    Path tmp;

    /** Delegates to the parent until {@code budget} range requests were made, then fails like a dead link. */
    private record DyingSource(ChunkSource parent, AtomicInteger budget) implements ChunkSource {
        @Override
        public InputStream openRange(String repo, String revision, String path, long first, long last) throws IOException {
            if (budget.decrementAndGet() < 0) {
                throw new IOException("link down");
            }
            return parent.openRange(repo, revision, path, first, last);
        }

        @Override
        public InputStream openBlockDigests(String repo, String revision, String path, long first, long last) throws IOException {
            return parent.openBlockDigests(repo, revision, path, first, last);
        }
    }

    @Test
    void failureMidPatch_keepsOldRevision_andTheNextSyncFinishes() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        ArtifactStore origin = ArtifactStore.builder(tmp.resolve("origin"))
                .signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        byte[] model = new byte[4 << 20];
        new Random(21).nextBytes(model);
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.write(src.resolve("model.bin"), model);
        Revision first = origin.publish("acme/m", "main", src);
        try (HttpClient client = HttpClient.newHttpClient(); ArtifactTestServer server = new ArtifactTestServer(origin)) {
            HttpManifestSource manifests = new HttpManifestSource(client, server.uri(), Duration.ofSeconds(10));
            ChunkSource http = HttpChunkSource.cacheable(client, server.uri(), Duration.ofSeconds(10));
            ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
            ManifestVerifier verifier = new ManifestVerifier(keys.getPublic(), Clock.systemUTC());
            DeltaAgent.builder(replica, verifier, http).build().sync("acme/m", "main", manifests.fetch("acme/m", "main"));

            byte[] edited = model.clone();
            for (int k = 0; k < 8; k++) {
                edited[k * 500_000 + 1234] ^= 0x7f; // eight scattered one-byte edits in place
            }
            Files.write(src.resolve("model.bin"), edited);
            origin.publish("acme/m", "main", src);
            byte[] manifest = manifests.fetch("acme/m", "main");

            DeltaAgent dying = DeltaAgent.builder(replica, verifier, new DyingSource(http, new AtomicInteger(3)))
                    .maxAttempts(1).build();
            assertThrows(IOException.class, () -> dying.sync("acme/m", "main", manifest));
            assertEquals(first.id(), replica.resolve("acme/m", "main").id(), "old revision still active");
            assertArrayEquals(model, Files.readAllBytes(replica.resolve("acme/m", "main").directory().resolve("model.bin")));

            DeltaAgent.Result resumed = DeltaAgent.builder(replica, verifier, http).build().sync("acme/m", "main", manifest);
            assertArrayEquals(edited, Files.readAllBytes(resumed.revision().directory().resolve("model.bin")));
            assertEquals(0, resumed.stats().verifyFailures());
        }
    }
}
