package yunjing.proxy.cache;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The SHA-256 of a body as it fills, compared at the end with the digest its response named. Single thread. */
final class DigestCheck {

    private final MessageDigest sha256;
    private final String expected;

    private DigestCheck(MessageDigest sha256, String expected) {
        this.sha256 = sha256;
        this.expected = expected;
    }

    static DigestCheck of(String expectedHex) {
        try {
            return new DigestCheck(MessageDigest.getInstance("SHA-256"), expectedHex);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is built into every JDK", e);
        }
    }

    void update(ByteBuf bytes) {
        for (ByteBuffer part : bytes.nioBuffers(bytes.readerIndex(), bytes.readableBytes())) {
            sha256.update(part);
        }
    }

    boolean matches() {
        return HexFormat.of().formatHex(sha256.digest()).equals(expected);
    }
}
