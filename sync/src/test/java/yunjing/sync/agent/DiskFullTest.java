package yunjing.sync.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica store on a small tmpfs that holds the old revision but not the old and the new at
 * once: the sync aborts with a clear message, the old revision stays active and whole, and the
 * staged files are gone. Mounting needs root (as on the CI and dev containers); elsewhere the
 * test is skipped with the reason.
 */
class DiskFullTest {

    private static final String REPO = "yunjing/full";
    private static final KeyPair KEYS = Ed25519Keys.generate();

    @TempDir
    Path tmp;

    private Path mount;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void mountTmpfs() throws Exception {
        mount = Files.createDirectories(tmp.resolve("small"));
        int rc = run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount.toString());
        Assumptions.assumeTrue(rc == 0, "mounting a tmpfs needs root (mount exited " + rc + ")");
    }

    @AfterEach
    void unmount() throws Exception {
        client.close();
        if (mount != null) {
            run("umount", mount.toString());
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noSuchCommand) {
            return -1;
        }
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static long entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.count();
        }
    }

    @Test
    void fullDisk_abortsWithAClearMessage_keepingTheOldRevisionActiveAndWhole_thenSucceedsOnceThereIsRoom() throws Exception {
        ArtifactStore origin = ArtifactStore.builder(tmp.resolve("origin"))
                .signer(new ManifestSigner(KEYS.getPrivate(), KEYS.getPublic())).build();
        byte[] modelA = new byte[4 << 20];
        new Random(3).nextBytes(modelA);
        byte[] modelB = modelA.clone();
        modelB[100_000] ^= 1;
        byte[] manifestA = publish(origin, modelA);
        byte[] manifestB = publish(origin, modelB);
        ArtifactStore replica = new ArtifactStore(mount.resolve("store"));
        try (OriginServer server = new OriginServer(origin.root())) {
            DeltaAgent agent = DeltaAgent.builder(replica, new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC()),
                    new HttpChunkSource(client, server.uri(), Duration.ofSeconds(10))).build();
            String revA = agent.sync(REPO, "main", manifestA).revision().id();

            IOException e = assertThrows(IOException.class, () -> agent.sync(REPO, "main", manifestB));

            assertTrue(e.getMessage().startsWith("disk full: the store at " + replica.root()), e.getMessage());
            assertTrue(e.getMessage().contains("previous revision stays active"), e.getMessage());
            Revision active = replica.resolve(REPO, "main");
            assertEquals(revA, active.id());
            assertTrue(active.verify(true).isEmpty(), "the old revision is whole");
            assertArrayEquals(modelA, Files.readAllBytes(active.directory().resolve("model.bin")));
            assertEquals(0, entries(replica.root().resolve("tmp")), "staged files removed, the space given back");

            assertEquals(0, run("mount", "-o", "remount,size=16m", mount.toString()));
            Revision b = agent.sync(REPO, "main", manifestB).revision();
            assertArrayEquals(modelB, Files.readAllBytes(b.directory().resolve("model.bin")));
        }
    }

    private byte[] publish(ArtifactStore origin, byte[] model) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src-" + System.nanoTime()));
        Files.write(src.resolve("model.bin"), model);
        Revision rev = origin.publish(REPO, "main", src);
        return Files.readAllBytes(rev.directory().resolve(Manifest.FILE_NAME));
    }
}
