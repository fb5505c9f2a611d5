package yunjing.sync.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
import java.util.Random;

/**
 * What the agent tests sync from: an origin store that signs what it publishes, served over loopback HTTP
 * with Range support ({@link OriginServer}), a verifier trusting its key, an HTTP client, and a 6 MiB
 * random model ({@link #modelA}, seeded per test class). Started before and stopped after each test.
 */
abstract class AbstractSignedOriginTest {

    static final int MODEL_SIZE = 6 << 20;
    static final KeyPair KEYS = Ed25519Keys.generate();

    @TempDir
    Path tmp;

    final HttpClient client = HttpClient.newHttpClient();
    final ManifestSigner signer = new ManifestSigner(KEYS.getPrivate(), KEYS.getPublic());
    final ManifestVerifier verifier = new ManifestVerifier(KEYS.getPublic(), Clock.systemUTC());
    ArtifactStore origin;
    OriginServer server;
    byte[] modelA;
    private final long modelSeed;

    AbstractSignedOriginTest(long modelSeed) {
        this.modelSeed = modelSeed;
    }

    @BeforeEach
    void startOrigin() throws IOException {
        origin = ArtifactStore.builder(tmp.resolve("origin")).signer(signer).build();
        server = new OriginServer(origin.root());
        modelA = new byte[MODEL_SIZE];
        new Random(modelSeed).nextBytes(modelA);
    }

    /** Publishes {@code model} as the only file, model.bin, of {@code repo}'s main; returns the signed manifest. */
    byte[] publishModel(String repo, byte[] model) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src-" + System.nanoTime()));
        Files.write(src.resolve("model.bin"), model);
        Revision rev = origin.publish(repo, "main", src);
        return Files.readAllBytes(rev.directory().resolve(Manifest.FILE_NAME));
    }

    @AfterEach
    void stopOrigin() {
        server.close();
        client.close();
    }
}
