package yunjing.sync.sign;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ed25519KeysTest {

    @TempDir
    Path tmp;

    @Test
    void pemFiles_roundTrip_andTheLoadedKeysSignAndVerify() throws Exception {
        KeyPair pair = Ed25519Keys.generate();
        Path priv = tmp.resolve("origin.key");
        Path pub = tmp.resolve("origin.pub");
        Ed25519Keys.writePrivate(priv, pair.getPrivate());
        Ed25519Keys.writePublic(pub, pair.getPublic());

        assertTrue(Files.readString(priv).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        assertTrue(Files.readString(pub).startsWith("-----BEGIN PUBLIC KEY-----\n"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));

        PrivateKey loadedPrivate = Ed25519Keys.readPrivate(priv);
        PublicKey loadedPublic = Ed25519Keys.readPublic(pub);
        assertArrayEquals(pair.getPublic().getEncoded(), loadedPublic.getEncoded());
        Signature sign = Signature.getInstance("Ed25519");
        sign.initSign(loadedPrivate);
        sign.update(new byte[]{1, 2, 3});
        Signature verify = Signature.getInstance("Ed25519");
        verify.initVerify(pair.getPublic());
        verify.update(new byte[]{1, 2, 3});
        assertTrue(verify.verify(sign.sign()));
    }

    @Test
    void publicKey_parsesFromBareBase64_asTopologyFilesCarryIt() throws IOException {
        PublicKey key = Ed25519Keys.generate().getPublic();
        PublicKey parsed = Ed25519Keys.parsePublic(Ed25519Keys.toBase64(key), "topology");
        assertEquals(Ed25519Keys.keyId(key), Ed25519Keys.keyId(parsed));
        assertEquals(16, Ed25519Keys.keyId(key).length());
    }

    @Test
    void garbage_isRefusedNamingTheSource() {
        IOException e = assertThrows(IOException.class, () -> Ed25519Keys.parsePublic("bm90IGEga2V5", "prod.yaml:12"));
        assertTrue(e.getMessage().startsWith("prod.yaml:12"), e.getMessage());
    }
}
