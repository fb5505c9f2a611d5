package yunjing.sync.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;

/**
 * Decides whether a replica may accept a manifest, in the spirit of TUF's checks on snapshot
 * metadata (https://theupdateframework.github.io/specification/latest/#update-snapshot): the
 * signature must verify with the trusted key, the manifest must be for the expected repository,
 * not expired (against rollback-by-freeze), not older than the last accepted version (against
 * rollback), and its content must be safe to write (see {@link Manifest#parse}). Thread-safe.
 */
public final class ManifestVerifier {

    /** What a replica last accepted for a repository; the floor for the next manifest. */
    public record Accepted(long version, String revision) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PublicKey key;
    private final String keyId;
    private final Clock clock;

    public ManifestVerifier(PublicKey key, Clock clock) {
        this.key = key;
        this.keyId = Ed25519Keys.keyId(key);
        this.clock = clock;
    }

    /**
     * The manifest in {@code signedJson} if it may replace {@code last} (null: nothing accepted
     * yet) for {@code repo}. The same version and revision as {@code last} is accepted again (an
     * idempotent re-delivery); the same version with another revision is not.
     */
    public Manifest verify(byte[] signedJson, String repo, Accepted last) throws ManifestRejectedException {
        JsonNode tree;
        try {
            tree = JSON.readTree(signedJson);
        } catch (IOException e) {
            throw new ManifestRejectedException("manifest is not JSON: " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new ManifestRejectedException("manifest is not a JSON object");
        }
        checkSignature(tree);
        Manifest manifest;
        try {
            manifest = Manifest.fromTree(tree);
        } catch (IOException e) {
            throw new ManifestRejectedException("manifest refused: " + e.getMessage(), e);
        }
        for (Manifest.Entry entry : manifest.entries()) {
            if (entry.size() > 0 && entry.chunks().isEmpty()) {
                throw new ManifestRejectedException("manifest of " + repo + ": '" + entry.path() + "' has no chunk list");
            }
        }
        if (!manifest.repo().equals(repo)) {
            throw new ManifestRejectedException("manifest is for repository '" + manifest.repo() + "' (expected: '" + repo + "')");
        }
        if (manifest.version() <= 0 || manifest.expires() == null) {
            throw new ManifestRejectedException("manifest of " + repo + " lacks version or expires (unpublished format 1 manifest?)");
        }
        Instant now = clock.instant();
        if (!now.isBefore(manifest.expires())) {
            throw new ManifestRejectedException("manifest of " + repo + " version " + manifest.version()
                    + " expired at " + manifest.expires() + " (now: " + now + ")");
        }
        if (last != null) {
            if (manifest.version() < last.version()) {
                throw new ManifestRejectedException("manifest of " + repo + " version " + manifest.version()
                        + " is older than the accepted version " + last.version() + " (rollback refused)");
            }
            if (manifest.version() == last.version() && !manifest.revision().equals(last.revision())) {
                throw new ManifestRejectedException("manifest of " + repo + " version " + manifest.version()
                        + " names revision " + manifest.revision() + " but that version was accepted as " + last.revision());
            }
        }
        return manifest;
    }

    private void checkSignature(JsonNode tree) throws ManifestRejectedException {
        JsonNode sig = tree.path(Canonical.SIGNATURE);
        if (!sig.path("ed25519").isTextual()) {
            throw new ManifestRejectedException("manifest is not signed");
        }
        if (!keyId.equals(sig.path("keyId").asText())) {
            throw new ManifestRejectedException("manifest signed by key " + sig.path("keyId").asText() + " (trusted: " + keyId + ")");
        }
        try {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initVerify(key);
            ed.update(Canonical.bytes(tree));
            if (!ed.verify(Base64.getDecoder().decode(sig.get("ed25519").asText()))) {
                throw new ManifestRejectedException("manifest signature does not verify with key " + keyId);
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new ManifestRejectedException("manifest signature does not verify with key " + keyId + ": " + e.getMessage(), e);
        }
    }
}
