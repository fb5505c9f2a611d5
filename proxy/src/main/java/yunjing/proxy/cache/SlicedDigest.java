package yunjing.proxy.cache;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The SHA-256 of a sliced object that names one ({@link Digests}), computed over its slices in order
 * as readers walk through them. Slices are fetched independently (by Range, in any order, by any
 * reader), so the digest cannot be checked while one response fills, as a whole body's is; instead each
 * reader offers the slices it has read, in order, and the first reader to reach the end computes the
 * verdict. A reader about to send the object's last byte asks for the verdict first: on a mismatch it
 * cuts its response off, so no client receives all of an object that fails its digest.
 *
 * <p>A reader that started past the first slice (a Range) cannot complete the digest: it gets
 * {@link Verdict#UNKNOWN} and is served as the slices' own checks allow. Thread-safe.
 */
final class SlicedDigest {

    enum Verdict { UNKNOWN, MATCH, MISMATCH }

    private final String expected;
    private final int slices;
    private final MessageDigest sha256;
    private int next;
    private Verdict verdict = Verdict.UNKNOWN;

    SlicedDigest(String expected, int slices) {
        this.expected = expected;
        this.slices = slices;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is built into every JDK", e);
        }
    }

    /**
     * Whether slice {@code index} is the next one to hash and no verdict is in: its reader must read it
     * into memory and {@link #offer} it (a reader sending slices from files cannot hash them).
     */
    synchronized boolean wants(int index) {
        return verdict == Verdict.UNKNOWN && index == next;
    }

    synchronized Verdict verdict() {
        return verdict;
    }

    /**
     * Offers slice {@code index}, whose body is complete; hashes it when it is the next one. Returns the
     * verdict once every slice has been hashed, else {@link Verdict#UNKNOWN}.
     */
    synchronized Verdict offer(int index, GrowingBody body) {
        if (index == next && verdict == Verdict.UNKNOWN) {
            List<byte[]> pieces = body.pieces();
            for (byte[] piece : pieces) {
                sha256.update(piece);
            }
            next++;
            if (next == slices) {
                verdict = HexFormat.of().formatHex(sha256.digest()).equals(expected) ? Verdict.MATCH : Verdict.MISMATCH;
            }
        }
        return verdict;
    }
}
