package yunjing.sync.sign;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * Signs manifests at the publisher with Ed25519 over their {@linkplain Canonical canonical bytes}
 * and adds {@code "signature": {"keyId": ..., "ed25519": base64}}. Thread-safe.
 */
public final class ManifestSigner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrivateKey key;
    private final String keyId;

    /** {@code publicKey} names the key in signatures so verifiers can tell rotated keys apart. */
    public ManifestSigner(PrivateKey key, PublicKey publicKey) {
        if (!"Ed25519".equals(key.getAlgorithm()) && !"EdDSA".equals(key.getAlgorithm())) {
            throw new IllegalArgumentException("key: " + key.getAlgorithm() + " (expected: Ed25519)");
        }
        this.key = key;
        this.keyId = Ed25519Keys.keyId(publicKey);
    }

    /** A signer from the PEM files {@link Ed25519Keys} writes. */
    public static ManifestSigner load(Path privateKeyPem, Path publicKeyPem) throws IOException {
        return new ManifestSigner(Ed25519Keys.readPrivate(privateKeyPem), Ed25519Keys.readPublic(publicKeyPem));
    }

    public String keyId() {
        return keyId;
    }

    /** The manifest with its signature, as pretty-printed UTF-8 JSON; {@code manifest} is not changed. */
    public byte[] sign(ObjectNode manifest) throws IOException {
        byte[] signature;
        try {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initSign(key);
            ed.update(Canonical.bytes(manifest));
            signature = ed.sign();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot sign manifest with Ed25519", e);
        }
        ObjectNode signed = manifest.deepCopy();
        signed.putObject(Canonical.SIGNATURE).put("keyId", keyId).put("ed25519", Base64.getEncoder().encodeToString(signature));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(signed);
    }
}
