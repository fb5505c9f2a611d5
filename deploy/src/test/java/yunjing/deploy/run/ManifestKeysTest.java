package yunjing.deploy.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The origin's manifest key: created once in the state directory, or the topology's, checked against its public key. */
class ManifestKeysTest {

    @TempDir
    Path tmp;

    private Topology topology(String syncExtra) throws Exception {
        String text = new String(TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)
                .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        text = text.replace("  poll_ms: 2000", "  poll_ms: 2000\n" + syncExtra);
        return TopologyLoader.parse("t.yaml", new StringReader(text), tmp);
    }

    @Test
    void stateDirectoryKey_isCreatedOnce_private0600_andTrustedByReplicas() throws Exception {
        StateDir state = new StateDir(tmp.resolve("state"));
        Topology t = topology("");
        ManifestSigner first = ManifestKeys.signer(t, state);
        ManifestSigner again = ManifestKeys.signer(t, state);
        assertEquals(first.keyId(), again.keyId(), "the key is kept, not regenerated");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(state.sync().resolve(ManifestKeys.PRIVATE)));
        assertEquals(first.keyId(), Ed25519Keys.keyId(ManifestKeys.trusted(t, state)));
    }

    @Test
    void topologyKeys_areUsed_andAPublicKeyThatIsNotTheSigningKeysIsRefused() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        Files.createDirectories(tmp.resolve("keys"));
        Ed25519Keys.writePrivate(tmp.resolve("keys/origin.pem"), keys.getPrivate());
        Ed25519Keys.writePublic(tmp.resolve("keys/origin.pub.pem"), keys.getPublic());
        StateDir state = new StateDir(tmp.resolve("state"));
        Topology t = topology("  private_key: keys/origin.pem\n  public_key: " + Ed25519Keys.toBase64(keys.getPublic()) + "\n");
        assertEquals(Ed25519Keys.keyId(keys.getPublic()), ManifestKeys.signer(t, state).keyId());
        assertEquals(Ed25519Keys.keyId(keys.getPublic()), Ed25519Keys.keyId(ManifestKeys.trusted(t, state)));
        assertTrue(Files.notExists(state.sync().resolve(ManifestKeys.PRIVATE)), "no key generated when the topology names one");

        Topology wrong = topology("  private_key: keys/origin.pem\n  public_key: "
                + Ed25519Keys.toBase64(Ed25519Keys.generate().getPublic()) + "\n");
        LaunchException e = assertThrows(LaunchException.class, () -> ManifestKeys.signer(wrong, state));
        assertTrue(e.getMessage().contains("is not the public half of the signing key"), e.getMessage());

        Topology missing = topology("  private_key: keys/absent.pem\n");
        e = assertThrows(LaunchException.class, () -> ManifestKeys.signer(missing, state));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void signUnsigned_resignsAMainPublishedBeforeTheOriginSigned() throws Exception {
        StateDir state = new StateDir(tmp.resolve("state"));
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{}");
        String revision = new yunjing.sync.store.ArtifactStore(state.artifacts()).publish("acme/m", "main", src).id();
        ManifestSigner signer = ManifestKeys.signer(topology(""), state);
        yunjing.sync.store.ArtifactStore store = yunjing.sync.store.ArtifactStore.builder(state.artifacts()).signer(signer).build();

        ManifestKeys.signUnsigned(store);
        byte[] manifest = Files.readAllBytes(store.resolve("acme/m", "main").directory().resolve(".yunjing-manifest.json"));
        new yunjing.sync.sign.ManifestVerifier(ManifestKeys.trusted(topology(""), state), java.time.Clock.systemUTC())
                .verify(manifest, "acme/m", null);
        assertEquals(revision, store.revisionId("acme/m", "main"));
        long version = store.lastVersion("acme/m");
        ManifestKeys.signUnsigned(store);
        assertEquals(version, store.lastVersion("acme/m"), "a signed manifest is left alone");
    }

    @Test
    void replicaWithoutAnyPublicKey_saysWhereToGetOne() throws Exception {
        LaunchException e = assertThrows(LaunchException.class,
                () -> ManifestKeys.trusted(topology(""), new StateDir(tmp.resolve("empty"))));
        assertTrue(e.getMessage().contains("set sync.public_key"), e.getMessage());
    }
}
