package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fills a part file from chunks already on this machine, before anything is fetched. Chunks of
 * files the agent verified itself and that have not changed since ({@link LocalChunks#trusted})
 * are copied by the kernel ({@link FileChannel#transferTo}) without being read here, adjacent
 * ones with one call; other local chunks are read and hashed first.
 *
 * <p>Runs on the syncing thread, before the fetch workers start.
 */
final class LocalChunkReuse {

    private final LocalChunks local;
    private final SyncStats.Counter stats;

    LocalChunkReuse(LocalChunks local, SyncStats.Counter stats) {
        this.local = local;
        this.stats = stats;
    }

    /**
     * Copies or reads into {@code job}'s part file every chunk not yet done that is available
     * locally, then checkpoints them; {@code buf} and {@code hasher} are the caller's.
     */
    void reuse(AssemblyJob job, ByteBuffer buf, ChunkHasher hasher) throws IOException {
        List<Chunk> chunks = job.entry.chunks();
        List<Integer> reused = new ArrayList<>();
        KernelCopy pending = null;
        for (int i = 0; i < chunks.size(); i++) {
            if (job.isDone(i)) {
                continue;
            }
            Chunk c = chunks.get(i);
            LocalChunks.Location trusted = local.trusted(c);
            if (trusted != null) {
                if (pending == null || !pending.extend(trusted, c)) {
                    copy(pending, job.out);
                    pending = new KernelCopy(trusted.file(), trusted.offset(), c.offset(), c.length());
                }
            } else if (local.read(c, buf, hasher)) {
                job.write(c, buf);
            } else {
                continue;
            }
            reused.add(i);
            stats.chunksReused.increment();
            stats.bytesReused.add(c.length());
            stats.bytesDone.add(c.length());
        }
        copy(pending, job.out);
        job.checkpoint(reused);
    }

    /** Adjacent trusted chunks that lie adjacent in one local file too, copied with one call. */
    private static final class KernelCopy {
        final Path file;
        final long from;
        final long to;
        long length;

        KernelCopy(Path file, long from, long to, long length) {
            this.file = file;
            this.from = from;
            this.to = to;
            this.length = length;
        }

        boolean extend(LocalChunks.Location at, Chunk c) {
            if (!at.file().equals(file) || at.offset() != from + length || c.offset() != to + length) {
                return false;
            }
            length += c.length();
            return true;
        }
    }

    private void copy(KernelCopy copy, FileChannel out) throws IOException {
        if (copy == null) {
            return;
        }
        FileChannel src = local.channel(copy.file);
        for (long n = 0; n < copy.length; ) {
            out.position(copy.to + n);
            long moved = src.transferTo(copy.from + n, copy.length - n, out);
            if (moved <= 0) {
                throw new IOException(copy.file + ": ends before byte " + (copy.from + n) + " (expected: "
                        + (copy.from + copy.length) + " bytes or more, as when it was verified)");
            }
            n += moved;
        }
    }
}
