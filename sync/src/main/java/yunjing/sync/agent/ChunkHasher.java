package yunjing.sync.agent;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of chunk buffers; one per syncing thread. */
final class ChunkHasher {

    private final MessageDigest sha = newSha256();

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** True if the remaining bytes of {@code buf} hash to {@code expectedHex}; leaves {@code buf}'s position unchanged. */
    boolean matches(ByteBuffer buf, String expectedHex) {
        sha.reset();
        sha.update(buf.duplicate());
        return HexFormat.of().formatHex(sha.digest()).equals(expectedHex);
    }
}
