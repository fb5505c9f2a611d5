package yunjing.sync.sign;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestVerifierTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final String SHA = "a".repeat(64);
    private static final KeyPair KEYS = Ed25519Keys.generate();

    private final ManifestSigner signer = new ManifestSigner(KEYS.getPrivate(), KEYS.getPublic());
    private final ManifestVerifier verifier = new ManifestVerifier(KEYS.getPublic(), Clock.fixed(NOW, ZoneOffset.UTC));

    private static Manifest manifest(long version, String... paths) {
        List<Manifest.Entry> entries = java.util.Arrays.stream(paths)
                .map(p -> new Manifest.Entry(p, 10, SHA, List.of(new Chunk(0, 10, SHA))))
                .toList();
        return new Manifest("o/m", entries).withPublication(version, NOW.plusSeconds(3600));
    }

    private byte[] signed(Manifest m) throws IOException {
        return signer.sign(m.toTree());
    }

    private String refusal(byte[] json, ManifestVerifier.Accepted last) {
        return assertThrows(ManifestRejectedException.class, () -> verifier.verify(json, "o/m", last)).getMessage();
    }

    @Test
    void signedManifest_verifiesAndParses() throws Exception {
        Manifest m = manifest(3, "config.json", "model.bin");
        Manifest verified = verifier.verify(signed(m), "o/m", new ManifestVerifier.Accepted(2, "b".repeat(40)));
        assertEquals(m, verified);
    }

    @Test
    void keyOrderAndWhitespace_doNotMatter_butAnyContentChangeDoes() throws Exception {
        byte[] json = signed(manifest(1, "model.bin"));
        ObjectNode tree = (ObjectNode) JSON.readTree(json);
        ObjectNode reordered = JSON.createObjectNode();
        List<String> names = new java.util.ArrayList<>();
        tree.fieldNames().forEachRemaining(names::add);
        java.util.Collections.reverse(names);
        names.forEach(n -> reordered.set(n, tree.get(n)));
        verifier.verify(JSON.writeValueAsBytes(reordered), "o/m", null);

        ((ObjectNode) tree).put("version", 2);
        assertTrue(refusal(JSON.writeValueAsBytes(tree), null).contains("signature does not verify"));
    }

    @Test
    void tamperedFileHash_isRefused() throws Exception {
        String json = new String(signed(manifest(1, "model.bin")), StandardCharsets.UTF_8);
        byte[] tampered = json.replaceFirst("\"sha256\" : \"a", "\"sha256\" : \"b").getBytes(StandardCharsets.UTF_8);
        assertTrue(refusal(tampered, null).contains("signature does not verify"));
    }

    @Test
    void otherKeyOrNoSignature_isRefused() throws Exception {
        KeyPair other = Ed25519Keys.generate();
        byte[] foreign = new ManifestSigner(other.getPrivate(), other.getPublic()).sign(manifest(1, "a").toTree());
        assertTrue(refusal(foreign, null).contains("signed by key"));
        // A forger who copies our key id still cannot produce our signature.
        ObjectNode forged = (ObjectNode) JSON.readTree(foreign);
        ((ObjectNode) forged.get("signature")).put("keyId", signer.keyId());
        assertTrue(refusal(JSON.writeValueAsBytes(forged), null).contains("does not verify"));
        assertTrue(refusal(manifest(1, "a").toJson(), null).contains("not signed"));
    }

    @Test
    void olderVersion_orSameVersionOtherRevision_isRefused_sameDeliveryAgainIsNot() throws Exception {
        Manifest m = manifest(5, "a");
        assertTrue(refusal(signed(m), new ManifestVerifier.Accepted(6, "c".repeat(40))).contains("rollback"));
        assertTrue(refusal(signed(m), new ManifestVerifier.Accepted(5, "c".repeat(40))).contains("was accepted as"));
        assertEquals(m, verifier.verify(signed(m), "o/m", new ManifestVerifier.Accepted(5, m.revision())));
    }

    @Test
    void expiredOrUnversioned_isRefused() throws Exception {
        Manifest expired = manifest(1, "a").withPublication(1, NOW);
        assertTrue(refusal(signed(expired), null).contains("expired"));
        assertTrue(refusal(signed(manifest(1, "a").withPublication(0, null)), null).contains("lacks version"));
    }

    @Test
    void otherRepository_isRefused() throws Exception {
        byte[] json = signed(manifest(1, "a"));
        String message = assertThrows(ManifestRejectedException.class, () -> verifier.verify(json, "o/other", null)).getMessage();
        assertTrue(message.contains("expected: 'o/other'"), message);
    }

    @Test
    void escapingOrAmbiguousPaths_areRefusedEvenWhenSigned() throws Exception {
        for (String path : List.of("../etc/passwd", "a/../../b", "/abs", "a\\b", "a//b", "./a", "a/", "C:x", ".yunjing-manifest.json")) {
            String message = refusal(signed(manifest(1, path)), null);
            assertTrue(message.contains("escapes"), path + ": " + message);
        }
        assertTrue(refusal(signed(manifest(1, "a", "a")), null).contains("listed twice"));
    }

    @Test
    void chunksThatDoNotTileTheFile_orRevisionThatIsNotTheContentAddress_areRefused() throws Exception {
        ObjectNode tree = manifest(1, "a").toTree();
        ((ObjectNode) ((ArrayNode) tree.get("files")).get(0)).put("size", 11);
        assertTrue(refusal(signer.sign(tree), null).contains("chunks cover 10 bytes"));

        ObjectNode other = manifest(1, "a").toTree().put("revision", "0".repeat(40));
        assertTrue(refusal(signer.sign(other), null).contains("does not match its files"));
    }

    @Test
    void malformedDigests_areRefusedEvenWhenSigned() throws Exception {
        for (String bad : List.of("A".repeat(64), "a".repeat(63), "g" + "a".repeat(63), "")) {
            ObjectNode file = manifest(1, "a").toTree();
            ((ObjectNode) ((ArrayNode) file.get("files")).get(0)).put("sha256", bad);
            assertTrue(refusal(signer.sign(file), null).contains("sha256 '" + bad + "' (expected: 64 lower-case hex digits)"), bad);

            ObjectNode chunk = manifest(1, "a").toTree();
            ((ObjectNode) ((ArrayNode) ((ArrayNode) chunk.get("files")).get(0).get("chunks")).get(0)).put("sha256", bad);
            assertTrue(refusal(signer.sign(chunk), null).contains("chunk sha256 '" + bad + "'"), bad);
        }
    }
}
