package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds one file of a new revision in a part file: chunks found locally are copied, the rest
 * are fetched as merged byte ranges, and every chunk is hashed before it counts as written.
 *
 * <p>Failure handling: a response that ends early or fails midway is asked again for the
 * chunks still missing (up to {@code maxAttempts} requests, rotating through the sources); a
 * chunk whose hash does not match is counted and refetched alone, from the next source first.
 * Progress is checkpointed in a {@link ResumeLog} after every range, so a restart re-fetches at
 * most the one range that was in flight.
 *
 * <p>Confined to the syncing thread; holds one {@link FastCdc#MAX_SIZE} buffer.
 */
final class FileAssembler {

    /** Chunk bytes patched between two checkpoints; a crash redoes at most this much patching. */
    static final long PATCH_CHECKPOINT_BYTES = 8L << 20;

    private final String repo;
    private final String revision;
    private final List<ChunkSource> sources;
    private final LocalChunks local;
    private final long maxRangeBytes;
    private final int maxAttempts;
    private final SyncStats.Counter stats;
    private final ChunkHasher hasher = new ChunkHasher();
    private final ByteBuffer buf = ByteBuffer.allocate(FastCdc.MAX_SIZE);

    FileAssembler(String repo, String revision, List<ChunkSource> sources, LocalChunks local,
                  long maxRangeBytes, int maxAttempts, SyncStats.Counter stats) {
        this.repo = repo;
        this.revision = revision;
        this.sources = sources;
        this.local = local;
        this.maxRangeBytes = maxRangeBytes;
        this.maxAttempts = maxAttempts;
        this.stats = stats;
    }

    /**
     * Writes {@code entry} into {@code part}, resuming from {@code logFile}, fsyncs it and checks
     * its whole-file SHA-256. On an I/O failure the part and its log stay for the next attempt.
     */
    void assemble(Manifest.Entry entry, Path part, Path logFile) throws IOException {
        assemble(entry, part, logFile, null);
    }

    /**
     * As above; chunks still missing after local reuse are first patched from {@code basis} (the
     * previous version of the same file, or null) with {@link BlockPatcher}, when the first source
     * serves block digests.
     */
    void assemble(Manifest.Entry entry, Path part, Path logFile, Path basis) throws IOException {
        List<Chunk> chunks = entry.chunks();
        if (entry.size() > 0 && chunks.isEmpty()) {
            throw new IOException(entry.path() + ": the manifest has no chunk list for a non-empty file");
        }
        BitSet done;
        if (Files.exists(part)) {
            done = ResumeLog.load(logFile, chunks.size());
        } else {
            Files.deleteIfExists(logFile);
            done = new BitSet(chunks.size());
        }
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
             ResumeLog log = ResumeLog.open(logFile)) {
            List<Integer> reused = new ArrayList<>();
            for (int i = done.nextClearBit(0); i < chunks.size(); i = done.nextClearBit(i + 1)) {
                Chunk c = chunks.get(i);
                if (local.read(c, buf, hasher)) {
                    write(out, c);
                    done.set(i);
                    reused.add(i);
                    stats.chunksReused++;
                    stats.bytesReused += c.length();
                }
            }
            checkpoint(out, log, reused);
            if (basis != null && Files.isRegularFile(basis) && !sources.isEmpty()) {
                BlockPatcher patcher = new BlockPatcher(repo, revision, sources.getFirst(), stats);
                try (FileChannel old = FileChannel.open(basis, StandardOpenOption.READ)) {
                    // Patched chunks cost little to redo, so they are checkpointed per PATCH_CHECKPOINT_BYTES
                    // rather than per run: two fsyncs per run would dominate a delta of many small edits.
                    List<Integer> unsynced = new ArrayList<>();
                    long unsyncedBytes = 0;
                    for (List<Integer> range : missingRanges(chunks, done)) {
                        for (int i : patcher.patch(entry, range, old, out)) {
                            done.set(i);
                            unsynced.add(i);
                            unsyncedBytes += chunks.get(i).length();
                        }
                        if (unsyncedBytes >= PATCH_CHECKPOINT_BYTES) {
                            checkpoint(out, log, unsynced);
                            unsynced.clear();
                            unsyncedBytes = 0;
                        }
                    }
                    checkpoint(out, log, unsynced);
                }
            }
            for (List<Integer> range : missingRanges(chunks, done)) {
                fetchRange(entry, range, out, log, done);
            }
            if (out.size() != entry.size()) {
                out.truncate(entry.size());
            }
            out.force(true);
        }
        String sha = sha256(part);
        if (!sha.equals(entry.sha256())) {
            Files.deleteIfExists(part);
            Files.deleteIfExists(logFile);
            throw new IOException(entry.path() + ": assembled file has sha256 " + sha + " (expected: " + entry.sha256()
                    + ", although every chunk verified: inconsistent manifest); partial file discarded");
        }
    }

    /** Runs of consecutive missing chunks, each at most {@code maxRangeBytes} long (or one chunk). */
    List<List<Integer>> missingRanges(List<Chunk> chunks, BitSet done) {
        List<List<Integer>> ranges = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long bytes = 0;
        for (int i = done.nextClearBit(0); i < chunks.size(); i = done.nextClearBit(i + 1)) {
            int length = chunks.get(i).length();
            boolean adjacent = !current.isEmpty() && current.getLast() == i - 1;
            if (!current.isEmpty() && (!adjacent || bytes + length > maxRangeBytes)) {
                ranges.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(i);
            bytes += length;
        }
        if (!current.isEmpty()) {
            ranges.add(current);
        }
        return ranges;
    }

    private void fetchRange(Manifest.Entry entry, List<Integer> range, FileChannel out, ResumeLog log, BitSet done) throws IOException {
        List<Chunk> chunks = entry.chunks();
        Deque<Integer> pending = new ArrayDeque<>(range);
        List<Integer> corrupt = new ArrayList<>();
        IOException lastError = null;
        int failures = 0;
        while (!pending.isEmpty()) {
            Chunk first = chunks.get(pending.getFirst());
            Chunk last = chunks.get(pending.getLast());
            ChunkSource source = sources.get(failures % sources.size());
            List<Integer> written = new ArrayList<>();
            stats.requests++;
            try (InputStream in = source.openRange(repo, revision, entry.path(), first.offset(), last.end() - 1)) {
                while (!pending.isEmpty()) {
                    int i = pending.getFirst();
                    Chunk c = chunks.get(i);
                    if (!readChunk(in, c)) {
                        break;
                    }
                    pending.removeFirst();
                    if (hasher.matches(buf, c.sha256())) {
                        write(out, c);
                        done.set(i);
                        written.add(i);
                        stats.chunksFetched++;
                    } else {
                        stats.verifyFailures++;
                        corrupt.add(i);
                    }
                }
            } catch (IOException e) {
                lastError = e;
            }
            checkpoint(out, log, written);
            if (!pending.isEmpty()) {
                failures++;
                if (failures >= maxAttempts) {
                    throw new IOException(entry.path() + ": bytes " + chunks.get(pending.getFirst()).offset() + "-"
                            + (chunks.get(pending.getLast()).end() - 1) + " still missing after " + failures
                            + " truncated or failed responses", lastError);
                }
                stats.retries++;
            }
        }
        for (int i : corrupt) {
            refetch(entry, i, out, log, done);
        }
    }

    /** Fetches chunk {@code i} alone, from the next source first, until it verifies. */
    private void refetch(Manifest.Entry entry, int i, FileChannel out, ResumeLog log, BitSet done) throws IOException {
        Chunk c = entry.chunks().get(i);
        IOException lastError = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            ChunkSource source = sources.get(attempt % sources.size());
            stats.requests++;
            stats.retries++;
            try (InputStream in = source.openRange(repo, revision, entry.path(), c.offset(), c.end() - 1)) {
                if (!readChunk(in, c)) {
                    continue;
                }
                if (hasher.matches(buf, c.sha256())) {
                    write(out, c);
                    done.set(i);
                    stats.chunksFetched++;
                    checkpoint(out, log, List.of(i));
                    return;
                }
                stats.verifyFailures++;
            } catch (IOException e) {
                lastError = e;
            }
        }
        throw new IOException(entry.path() + ": chunk " + i + " (bytes " + c.offset() + "-" + (c.end() - 1)
                + ") did not verify after " + maxAttempts + " refetches from " + sources.size() + " source(s)", lastError);
    }

    /** Reads exactly the chunk's length into {@link #buf} (flipped); false if the stream ends first. */
    private boolean readChunk(InputStream in, Chunk c) throws IOException {
        byte[] array = buf.array();
        int filled = 0;
        while (filled < c.length()) {
            int n = in.read(array, filled, c.length() - filled);
            if (n < 0) {
                return false;
            }
            filled += n;
            stats.bytesFetched += n;
        }
        buf.clear().limit(c.length());
        return true;
    }

    private void write(FileChannel out, Chunk c) throws IOException {
        ByteBuffer data = buf.duplicate();
        while (data.hasRemaining()) {
            out.write(data, c.offset() + data.position());
        }
    }

    private static void checkpoint(FileChannel out, ResumeLog log, List<Integer> written) throws IOException {
        if (!written.isEmpty()) {
            out.force(false);
            log.append(written);
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
