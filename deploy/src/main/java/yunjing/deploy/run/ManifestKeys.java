package yunjing.deploy.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.deploy.topology.SyncSettings;
import yunjing.deploy.topology.Topology;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;

/**
 * The manifest signing key of a topology. The origin signs with the topology's
 * {@code sync.private_key}, else with {@code <state>/sync/manifest-key.pem}, created (0600, with
 * its public half beside it) on the first start. Replicas trust the topology's
 * {@code sync.public_key}, else the public key in the same state directory: enough when every node
 * shares one state directory ({@code yunjing up}); nodes on other machines need the topology field
 * (print it with {@code yunjing sync keygen} or from the {@code .pub.pem}).
 */
final class ManifestKeys {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PRIVATE = "manifest-key.pem";
    static final String PUBLIC = "manifest-key.pub.pem";

    private ManifestKeys() {
    }

    /** The origin's signer; refuses a topology public key that is not the signing key's own. */
    static ManifestSigner signer(Topology topology, StateDir state) throws LaunchException, IOException {
        SyncSettings sync = topology.sync();
        Path privateKey = sync.privateKey();
        Path publicKey;
        if (privateKey == null) {
            privateKey = state.sync().resolve(PRIVATE);
            publicKey = state.sync().resolve(PUBLIC);
            createIfAbsent(state);
        } else {
            publicKey = privateKey.resolveSibling(privateKey.getFileName().toString().replaceFirst("\\.pem$", "") + ".pub.pem");
            if (!Files.isRegularFile(privateKey)) {
                throw new LaunchException(topology.source() + ": sync.private_key " + privateKey + " does not exist");
            }
            if (!Files.isRegularFile(publicKey)) {
                throw new LaunchException(topology.source() + ": sync.private_key " + privateKey
                        + " needs its public key beside it as " + publicKey.getFileName());
            }
        }
        ManifestSigner signer = ManifestSigner.load(privateKey, publicKey);
        if (sync.publicKey() != null) {
            PublicKey declared = Ed25519Keys.parsePublic(sync.publicKey(), topology.source() + ": sync.public_key");
            if (!Ed25519Keys.keyId(declared).equals(signer.keyId())) {
                throw new LaunchException(topology.source() + ": sync.public_key (key " + Ed25519Keys.keyId(declared)
                        + ") is not the public half of the signing key " + privateKey + " (key " + signer.keyId() + ")");
            }
        }
        return signer;
    }

    /**
     * The state directory's signer, created if absent: what {@code yunjing model publish} signs
     * with, the same key the origin uses unless the topology names another.
     */
    static ManifestSigner stateSigner(StateDir state) throws IOException {
        createIfAbsent(state);
        return ManifestSigner.load(state.sync().resolve(PRIVATE), state.sync().resolve(PUBLIC));
    }

    private static void createIfAbsent(StateDir state) throws IOException {
        Path privateKey = state.sync().resolve(PRIVATE);
        if (!Files.exists(privateKey)) {
            Files.createDirectories(state.sync());
            KeyPair keys = Ed25519Keys.generate();
            // Public half first: a crash in between leaves no private key without its public one.
            Ed25519Keys.writePublic(state.sync().resolve(PUBLIC), keys.getPublic());
            Ed25519Keys.writePrivate(privateKey, keys.getPrivate());
        }
    }

    /**
     * Re-signs the revision each repository's {@code main} names when its manifest carries no
     * signature (published before the origin signed), so that replicas, which refuse unsigned
     * manifests, accept it. Revision ids and files do not change.
     */
    static void signUnsigned(ArtifactStore store) throws IOException {
        for (String repo : store.repos()) {
            if (!store.hasRef(repo, "main")) {
                continue;
            }
            Revision main = store.resolve(repo, "main");
            JsonNode manifest = JSON.readTree(main.directory().resolve(Manifest.FILE_NAME).toFile());
            if (!manifest.has("signature")) {
                store.reissue(repo, main.id());
            }
        }
    }

    /** The key replicas verify manifests with. */
    static PublicKey trusted(Topology topology, StateDir state) throws LaunchException, IOException {
        if (topology.sync().publicKey() != null) {
            return Ed25519Keys.parsePublic(topology.sync().publicKey(), topology.source() + ": sync.public_key");
        }
        Path file = state.sync().resolve(PUBLIC);
        if (!Files.isRegularFile(file)) {
            throw new LaunchException(topology.source() + ": sync: no public_key in the topology and no " + file
                    + " (start the origin with this state directory first, or set sync.public_key)");
        }
        return Ed25519Keys.readPublic(file);
    }
}
