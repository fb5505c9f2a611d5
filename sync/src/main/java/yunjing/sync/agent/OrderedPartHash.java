package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * SHA-256 of a part file, in order up to the first chunk not yet written: the syncing thread
 * runs it while the fetch workers fill the file, so the whole-file check costs little extra
 * time. Bytes of local copies are hashed from the copier's buffers ({@link CopyHandoff}), the
 * rest read back from the part file: only chunks that are written and verified, which nothing
 * writes again.
 *
 * <p>Used by the syncing thread only; it learns what is written from the {@link AssemblyJob}.
 */
final class OrderedPartHash {

    private final AssemblyJob job;
    private final CopyHandoff copies;
    private final MessageDigest sha = ChunkHasher.newSha256();
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    private int next;
    private long position;

    /** {@code copies}: where the local copies' bytes arrive (none from an unhashed handoff: they are read back too). */
    OrderedPartHash(AssemblyJob job, CopyHandoff copies) {
        this.job = job;
        this.copies = copies;
    }

    /** Hashes every chunk written so far in order; with {@code wait}, blocks until all are, or the job ends. */
    void advance(boolean wait) throws IOException {
        List<Chunk> chunks = job.entry.chunks();
        while (next < chunks.size()) {
            int upTo = job.writtenFrom(next, wait);
            if (upTo == next) {
                return;
            }
            long end = chunks.get(upTo - 1).end();
            while (position < end) {
                CopyHandoff.Segment copied = copies.head();
                if (copied != null && copied.offset() < position) {
                    throw new IllegalStateException("copied bytes at " + copied.offset() + " behind the hash at " + position);
                }
                if (copied != null && copied.offset() == position) {
                    ByteBuffer bytes = copied.take(end - position);
                    position += bytes.remaining();
                    sha.update(bytes);
                    if (copied.isEmpty()) {
                        copies.release(copied);
                    }
                } else {
                    readBack(copied == null ? end : Math.min(end, copied.offset()));
                }
            }
            next = upTo;
        }
    }

    /** Hashes the part file's bytes from the current position up to {@code end}. */
    private void readBack(long end) throws IOException {
        while (position < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - position));
            while (buf.hasRemaining()) {
                if (job.out.read(buf, position + buf.position()) < 0) {
                    throw new IOException(job.entry.path() + ": part file ends at " + (position + buf.position())
                            + " (expected: " + end + " bytes written)");
                }
            }
            sha.update(buf.flip());
            position += buf.limit();
        }
    }

    /** The hash of the whole file, once every chunk is written. */
    String finish() throws IOException {
        advance(false);
        if (next < job.entry.chunks().size()) {
            throw new IOException(job.entry.path() + ": chunk " + next + " still missing after every run finished");
        }
        return HexFormat.of().formatHex(sha.digest());
    }

}
