package yunjing.sync.chunk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Fixed-size block digests for patching a changed chunk from the replica's previous version of
 * the file (the zsync idea, at sub-chunk scale): the origin sends, for a byte span, the first
 * {@value #DIGEST_BYTES} bytes of SHA-256 of every {@value #BLOCK_SIZE}-byte block (the last one
 * may be shorter); the replica compares them with the same blocks of its old file at the same
 * offsets and fetches only the blocks that differ. A truncated digest may collide, which is
 * harmless: every chunk is still checked against its full SHA-256 from the signed manifest, and
 * a chunk that fails is fetched whole.
 */
public final class BlockDigests {

    public static final int BLOCK_SIZE = 1024;
    public static final int DIGEST_BYTES = 6;

    private BlockDigests() {
    }

    /** Number of blocks in {@code length} bytes. */
    public static int blocks(long length) {
        return (int) ((length + BLOCK_SIZE - 1) / BLOCK_SIZE);
    }

    /** Digests of the blocks of {@code data[off, off+len)}, {@value #DIGEST_BYTES} bytes each, appended to {@code out} at {@code outOff}. */
    public static void digest(byte[] data, int off, int len, byte[] out, int outOff) {
        MessageDigest sha = sha256();
        for (int b = 0, pos = off; pos < off + len; b++, pos += BLOCK_SIZE) {
            sha.update(data, pos, Math.min(BLOCK_SIZE, off + len - pos));
            System.arraycopy(sha.digest(), 0, out, outOff + b * DIGEST_BYTES, DIGEST_BYTES);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
