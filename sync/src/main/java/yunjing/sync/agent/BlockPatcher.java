package yunjing.sync.agent;

import yunjing.sync.chunk.BlockDigests;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * Builds missing chunks from the replica's previous version of the same file plus only the
 * {@link BlockDigests#BLOCK_SIZE}-byte blocks that differ, before whole chunks are fetched.
 * Model updates usually rewrite tensors in place, so a 10 KiB edit inside a 70 KiB chunk then
 * costs about 11 KiB instead of the chunk.
 *
 * <p>For one run of adjacent missing chunks: fetch the run's block digests (one small, cacheable
 * request), read the same byte span of the old file, fetch each maximal run of differing blocks,
 * and keep every chunk whose full SHA-256 (from the signed manifest) matches. Anything that goes
 * wrong (no digest support, a short or failed response, a chunk that does not verify) only leaves
 * those chunks missing, for the ordinary whole-chunk fetch that follows.
 *
 * <p>Confined to one fetch worker at a time (it owns its span buffer and hasher).
 */
final class BlockPatcher {

    private final String repo;
    private final String revision;
    private final ChunkSource source;
    private final SyncStats.Counter stats;
    private final ChunkHasher hasher = new ChunkHasher();
    /** The run being built; grown to the largest run seen (at most maxRangeBytes). */
    private byte[] span = new byte[0];

    BlockPatcher(String repo, String revision, ChunkSource source, SyncStats.Counter stats) {
        this.repo = repo;
        this.revision = revision;
        this.source = source;
        this.stats = stats;
    }

    /** Writes the chunks of {@code run} it could build into {@code out}; returns their indexes. */
    List<Integer> patch(Manifest.Entry entry, List<Integer> run, FileChannel basis, FileChannel out) throws IOException {
        List<Chunk> chunks = entry.chunks();
        long start = chunks.get(run.getFirst()).offset();
        long end = chunks.get(run.getLast()).end();
        int length = (int) (end - start);
        int blocks = BlockDigests.blocks(length);
        byte[] remote = new byte[blocks * BlockDigests.DIGEST_BYTES];
        if (span.length < length) {
            span = new byte[length];
        }
        byte[] span = this.span;
        BitSet differ;
        try {
            stats.requests.increment();
            try (InputStream in = source.openBlockDigests(repo, revision, entry.path(), start, end - 1)) {
                if (in == null || !readFully(in, remote, 0, remote.length)) {
                    return List.of();
                }
            }
            int old = readBasis(basis, start, span, length);
            byte[] local = new byte[remote.length];
            BlockDigests.digest(span, 0, length, local, 0);
            differ = new BitSet(blocks);
            for (int b = 0; b < blocks; b++) {
                int at = b * BlockDigests.DIGEST_BYTES;
                boolean beyondBasis = Math.min(length, (long) (b + 1) * BlockDigests.BLOCK_SIZE) > old;
                if (beyondBasis || !Arrays.equals(remote, at, at + BlockDigests.DIGEST_BYTES, local, at, at + BlockDigests.DIGEST_BYTES)) {
                    differ.set(b);
                }
            }
            for (int b = differ.nextSetBit(0); b >= 0; b = differ.nextSetBit(differ.nextClearBit(b))) {
                int from = b * BlockDigests.BLOCK_SIZE;
                int to = (int) Math.min(length, (long) differ.nextClearBit(b) * BlockDigests.BLOCK_SIZE);
                stats.requests.increment();
                try (InputStream in = source.openRange(repo, revision, entry.path(), start + from, start + to - 1)) {
                    if (!readFully(in, span, from, to - from)) {
                        return List.of();
                    }
                }
            }
        } catch (IOException networkOrBasis) {
            return List.of();
        }
        List<Integer> written = new ArrayList<>();
        for (int i : run) {
            Chunk c = chunks.get(i);
            ByteBuffer data = ByteBuffer.wrap(span, (int) (c.offset() - start), c.length());
            if (!hasher.matches(data, c.sha256())) {
                continue; // fetched whole afterwards
            }
            while (data.hasRemaining()) {
                out.write(data, start + data.position()); // position is the index in span
            }
            written.add(i);
            stats.chunksFetched.increment();
            stats.bytesReused.add(c.length() - differingBytes(differ, c.offset() - start, c.length()));
        }
        return written;
    }

    /** Bytes of {@code [off, off+len)} of the span that lie in differing blocks (fetched, not reused). */
    private static long differingBytes(BitSet differ, long off, int len) {
        long bytes = 0;
        for (int b = (int) (off / BlockDigests.BLOCK_SIZE); (long) b * BlockDigests.BLOCK_SIZE < off + len; b++) {
            if (differ.get(b)) {
                long from = Math.max(off, (long) b * BlockDigests.BLOCK_SIZE);
                long to = Math.min(off + len, (long) (b + 1) * BlockDigests.BLOCK_SIZE);
                bytes += to - from;
            }
        }
        return bytes;
    }

    /** Reads the old file's bytes at {@code [start, start + span.length)}; returns how many it has. */
    private static int readBasis(FileChannel basis, long start, byte[] span, int length) throws IOException {
        ByteBuffer into = ByteBuffer.wrap(span, 0, length);
        while (into.hasRemaining()) {
            int n = basis.read(into, start + into.position());
            if (n < 0) {
                break;
            }
        }
        return into.position();
    }

    private boolean readFully(InputStream in, byte[] into, int off, int len) throws IOException {
        int filled = 0;
        while (filled < len) {
            int n = in.read(into, off + filled, len - filled);
            if (n < 0) {
                return false;
            }
            filled += n;
            stats.bytesFetched.add(n);
        }
        return true;
    }
}
