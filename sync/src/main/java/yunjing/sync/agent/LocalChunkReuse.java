package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Fills a part file from chunks already on this machine. Chunks of files the agent verified
 * itself and that have not changed since ({@link LocalChunks#trusted}) are copied by the kernel
 * ({@link FileChannel#transferTo}) without being read here, adjacent ones with one call; other
 * local chunks are read and hashed first.
 *
 * <p>In two steps: {@link #plan}, on the syncing thread, reads the untrusted local chunks and
 * says which chunks the trusted copies will provide, so the fetch workers can start on the rest
 * at once; {@link #copy}, on one thread (a fetch worker's, or the syncing thread's when there is
 * no pool), then makes the copies while they fetch, {@value #COPY_STEP_BYTES} bytes at a time,
 * so the syncing thread hashes right behind it. Neither is fsynced or recorded
 * in the resume log here: the first checkpoint of a fetched range, or the final fsync, makes
 * them durable, and a resumed sync simply copies them again.
 */
final class LocalChunkReuse {

    private final LocalChunks local;
    private final SyncStats.Counter stats;

    LocalChunkReuse(LocalChunks local, SyncStats.Counter stats) {
        this.local = local;
        this.stats = stats;
    }

    /** The kernel copies a part file still needs, and the chunks they provide. */
    static final class Plan {
        final BitSet chunks = new BitSet();
        private final List<KernelCopy> copies = new ArrayList<>();
    }

    /**
     * Reads into {@code job}'s part file every chunk not yet done that an untrusted local file
     * holds (marked written), and plans a copy of every one a trusted file holds;
     * {@code buf} and {@code hasher} are the caller's.
     */
    Plan plan(AssemblyJob job, ByteBuffer buf, ChunkHasher hasher) throws IOException {
        List<Chunk> chunks = job.entry.chunks();
        Plan plan = new Plan();
        List<Integer> read = new ArrayList<>();
        KernelCopy pending = null;
        for (int i = 0; i < chunks.size(); i++) {
            if (job.isDone(i)) {
                continue;
            }
            Chunk c = chunks.get(i);
            LocalChunks.Location trusted = local.trusted(c);
            if (trusted != null) {
                if (pending == null || !pending.extend(trusted, c)) {
                    pending = new KernelCopy(trusted.file(), trusted.offset(), c.offset(), c.length());
                    plan.copies.add(pending);
                }
                plan.chunks.set(i);
                continue;
            }
            if (!local.read(c, buf, hasher)) {
                continue;
            }
            job.write(c, buf);
            read.add(i);
            counted(c);
        }
        job.written(read);
        return plan;
    }

    /** Bytes copied between two updates of what is written, so the hashing thread can follow the copy. */
    static final long COPY_STEP_BYTES = 8L << 20;

    /** Makes the planned copies, marking each chunk written once it is copied whole. */
    void copy(Plan plan, AssemblyJob job) throws IOException {
        List<Chunk> chunks = job.entry.chunks();
        int next = plan.chunks.nextSetBit(0);
        for (KernelCopy copy : plan.copies) {
            for (long n = 0; n < copy.length; ) {
                long step = Math.min(COPY_STEP_BYTES, copy.length - n);
                copy(copy, n, step, job.out);
                n += step;
                List<Integer> copied = new ArrayList<>();
                for (; next >= 0 && chunks.get(next).end() <= copy.to + n; next = plan.chunks.nextSetBit(next + 1)) {
                    copied.add(next);
                    counted(chunks.get(next));
                }
                job.written(copied);
            }
        }
    }

    private void counted(Chunk c) {
        stats.chunksReused.increment();
        stats.bytesReused.add(c.length());
        stats.bytesDone.add(c.length());
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

    /** Copies bytes {@code [at, at + length)} of {@code copy}. */
    private void copy(KernelCopy copy, long at, long length, FileChannel out) throws IOException {
        FileChannel src = local.channel(copy.file);
        for (long n = at; n < at + length; ) {
            long moved = src.transferTo(copy.from + n, at + length - n, out.position(copy.to + n));
            if (moved <= 0) {
                throw new IOException(copy.file + ": ends before byte " + (copy.from + n) + " (expected: "
                        + (copy.from + copy.length) + " bytes or more, as when it was verified)");
            }
            n += moved;
        }
    }
}
