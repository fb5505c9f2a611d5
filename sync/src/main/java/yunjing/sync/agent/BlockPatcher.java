package yunjing.sync.agent;

import yunjing.sync.chunk.BlockDigests;
import yunjing.sync.chunk.ByteSpan;
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
 * <p>For a batch of runs of adjacent missing chunks (at most {@link ByteSpan#MAX_PER_REQUEST}
 * runs): fetch the block digests of every run with one request, read the same byte spans of the
 * old file, fetch all the differing blocks with one request (a span list, as few more as the
 * list limit needs), and keep every chunk whose full SHA-256 (from the signed manifest) matches.
 * Two round trips per batch instead of two per run: a delta of many small edits is bound by
 * round trips, not bytes. Both requests name immutable spans, so a tier cache shares them
 * between replicas that hold the same old file. Anything that goes wrong (no digest support, a
 * short or failed response, a chunk that does not verify) only leaves those chunks missing, for
 * the ordinary whole-chunk fetch that follows.
 *
 * <p>Confined to one fetch worker at a time (it owns its span buffer and hasher).
 */
final class BlockPatcher {

    private final String repo;
    private final String revision;
    private final ChunkSource source;
    private final SyncStats.Counter stats;
    private final ChunkHasher hasher = new ChunkHasher();
    /** The runs of the batch being built, one after another; grown to the largest batch seen. */
    private byte[] span = new byte[0];

    BlockPatcher(String repo, String revision, ChunkSource source, SyncStats.Counter stats) {
        this.repo = repo;
        this.revision = revision;
        this.source = source;
        this.stats = stats;
    }

    /** Writes the chunks of {@code runs} it could build into {@code out}; returns their indexes. */
    List<Integer> patch(Manifest.Entry entry, List<List<Integer>> runs, FileChannel basis, FileChannel out) throws IOException {
        if (runs.size() > ByteSpan.MAX_PER_REQUEST) {
            throw new IllegalArgumentException(runs.size() + " runs (expected: at most " + ByteSpan.MAX_PER_REQUEST + ")");
        }
        List<Chunk> chunks = entry.chunks();
        List<ByteSpan> runSpans = new ArrayList<>(runs.size());
        long total = 0;
        int digestBytes = 0;
        for (List<Integer> run : runs) {
            ByteSpan s = new ByteSpan(chunks.get(run.getFirst()).offset(), chunks.get(run.getLast()).end() - 1);
            runSpans.add(s);
            total += s.length();
            digestBytes += BlockDigests.blocks(s.length()) * BlockDigests.DIGEST_BYTES;
        }
        if (span.length < total) {
            span = new byte[(int) total];
        }
        byte[] remote = new byte[digestBytes];
        try {
            stats.requests.increment();
            try (InputStream in = source.openBlockDigests(repo, revision, entry.path(), runSpans)) {
                if (in == null || !readFully(in, remote, 0, remote.length)) {
                    return List.of();
                }
            }
        } catch (IOException network) {
            return List.of();
        }
        // Where each run lies in span, and which of its blocks differ from the old file's.
        List<ByteSpan> differing = new ArrayList<>();
        List<Integer> differingAt = new ArrayList<>();
        List<BitSet> differs = new ArrayList<>(runs.size());
        int at = 0;
        int digestAt = 0;
        byte[] local = new byte[remote.length];
        for (ByteSpan s : runSpans) {
            int length = (int) s.length();
            int blocks = BlockDigests.blocks(length);
            int old = readBasis(basis, s.first(), span, at, length);
            BlockDigests.digest(span, at, length, local, digestAt);
            BitSet differ = new BitSet(blocks);
            for (int b = 0; b < blocks; b++) {
                int d = digestAt + b * BlockDigests.DIGEST_BYTES;
                boolean beyondBasis = Math.min(length, (long) (b + 1) * BlockDigests.BLOCK_SIZE) > old;
                if (beyondBasis || !Arrays.equals(remote, d, d + BlockDigests.DIGEST_BYTES, local, d, d + BlockDigests.DIGEST_BYTES)) {
                    differ.set(b);
                }
            }
            for (int b = differ.nextSetBit(0); b >= 0; b = differ.nextSetBit(differ.nextClearBit(b))) {
                int from = b * BlockDigests.BLOCK_SIZE;
                int to = (int) Math.min(length, (long) differ.nextClearBit(b) * BlockDigests.BLOCK_SIZE);
                differing.add(new ByteSpan(s.first() + from, s.first() + to - 1));
                differingAt.add(at + from);
            }
            differs.add(differ);
            at += length;
            digestAt += blocks * BlockDigests.DIGEST_BYTES;
        }
        fetchInto(entry, differing, differingAt);
        List<Integer> written = new ArrayList<>();
        at = 0;
        for (int r = 0; r < runs.size(); r++) {
            long start = runSpans.get(r).first();
            for (int i : runs.get(r)) {
                Chunk c = chunks.get(i);
                ByteBuffer data = ByteBuffer.wrap(span, at + (int) (c.offset() - start), c.length());
                if (!hasher.matches(data, c.sha256())) {
                    continue; // fetched whole afterwards
                }
                while (data.hasRemaining()) {
                    out.write(data, start + data.position() - at); // position is the index in span
                }
                written.add(i);
                stats.chunksFetched.increment();
                stats.bytesReused.add(c.length() - differingBytes(differs.get(r), c.offset() - start, c.length()));
            }
            at += (int) runSpans.get(r).length();
        }
        return written;
    }

    /**
     * Reads the differing blocks into their places in span, {@link ByteSpan#MAX_PER_REQUEST} spans
     * a request. A request that fails leaves the old bytes there: its chunks then fail their
     * hash and are fetched whole.
     */
    private void fetchInto(Manifest.Entry entry, List<ByteSpan> spans, List<Integer> at) {
        for (int from = 0; from < spans.size(); from += ByteSpan.MAX_PER_REQUEST) {
            List<ByteSpan> group = spans.subList(from, Math.min(spans.size(), from + ByteSpan.MAX_PER_REQUEST));
            stats.requests.increment();
            try (InputStream in = source.openSpans(repo, revision, entry.path(), group)) {
                for (int k = 0; k < group.size(); k++) {
                    if (!readFully(in, span, at.get(from + k), (int) group.get(k).length())) {
                        break;
                    }
                }
            } catch (IOException network) {
                // The chunks concerned do not verify and are fetched whole.
            }
        }
    }

    /** Bytes of {@code [off, off+len)} of a run that lie in differing blocks (fetched, not reused). */
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

    /** Reads the old file's bytes at {@code [start, start + length)} into {@code span[at…]}; returns how many it has. */
    private static int readBasis(FileChannel basis, long start, byte[] span, int at, int length) {
        ByteBuffer into = ByteBuffer.wrap(span, at, length);
        try {
            while (into.hasRemaining()) {
                if (basis.read(into, start + into.position() - at) < 0) {
                    break;
                }
            }
        } catch (IOException unreadable) {
            // What could not be read counts as differing: fetched.
        }
        return into.position() - at;
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
