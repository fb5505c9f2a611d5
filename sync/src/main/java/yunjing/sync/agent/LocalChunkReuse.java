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
 * itself and that have not changed since ({@link LocalChunks#trusted}) are copied without being
 * hashed chunk by chunk, adjacent ones as one run; other local chunks are read and hashed first.
 *
 * <p>In two steps: {@link #plan}, on the syncing thread, reads the untrusted local chunks and
 * says which chunks the trusted copies will provide, so the fetch workers can start on the rest
 * at once; {@link #copy}, on a thread of its own (or the syncing thread's when there is no pool),
 * then makes the copies while they fetch, {@value #COPY_STEP_BYTES} bytes at a time,
 * through buffers it hands to the hashing thread ({@link CopyHandoff}), which covers them with
 * the whole-file SHA-256. Neither is recorded in the resume log here: the first checkpoint of a
 * fetched range, or the final fsync, makes them durable, and a resumed sync copies them again.
 */
final class LocalChunkReuse {

    private final LocalChunks local;
    private final SyncStats.Counter stats;

    LocalChunkReuse(LocalChunks local, SyncStats.Counter stats) {
        this.local = local;
        this.stats = stats;
    }

    /** The local copies a part file still needs, and the chunks they provide. */
    static final class Plan {
        final BitSet chunks = new BitSet();
        private final List<LocalCopy> copies = new ArrayList<>();
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
        LocalCopy pending = null;
        for (int i = 0; i < chunks.size(); i++) {
            if (job.isDone(i)) {
                continue;
            }
            Chunk c = chunks.get(i);
            LocalChunks.Location trusted = local.trusted(c);
            if (trusted != null) {
                if (pending == null || !pending.extend(trusted, c)) {
                    pending = new LocalCopy(trusted.file(), trusted.offset(), c.offset(), c.length());
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
    static final int COPY_STEP_BYTES = 4 << 20;

    /**
     * Makes the planned copies {@value #COPY_STEP_BYTES} bytes at a time through a buffer from
     * {@code handoff}, written with {@code writer} and then published to the hashing thread,
     * marking each chunk written once it is copied whole. Stops early, leaving the rest
     * uncopied, once {@code handoff} is abandoned.
     */
    void copy(Plan plan, AssemblyJob job, PartWriter writer, CopyHandoff handoff) throws IOException {
        List<Chunk> chunks = job.entry.chunks();
        int next = plan.chunks.nextSetBit(0);
        for (LocalCopy copy : plan.copies) {
            FileChannel src = local.channel(copy.file);
            for (long n = 0; n < copy.length; ) {
                ByteBuffer buffer = handoff.acquire();
                if (buffer == null) {
                    return; // the file failed: its hashing stopped
                }
                long at = copy.to + n;
                int step = (int) Math.min(COPY_STEP_BYTES, copy.length - n);
                int lead = writer.lead(at);
                ByteBuffer bytes = buffer.clear().slice(lead, step);
                read(src, copy, n, bytes);
                writer.write(buffer.position(lead).limit(lead + step), at);
                handoff.publish(buffer, bytes.flip(), at);
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

    /** Reads bytes {@code [at, at + bytes.remaining())} of {@code copy}'s source. */
    private static void read(FileChannel src, LocalCopy copy, long at, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            if (src.read(bytes, copy.from + at + bytes.position()) < 0) {
                throw new IOException(copy.file + ": ends before byte " + (copy.from + at + bytes.position()) + " (expected: "
                        + (copy.from + copy.length) + " bytes or more, as when it was verified)");
            }
        }
    }

    private void counted(Chunk c) {
        stats.chunksReused.increment();
        stats.bytesReused.add(c.length());
        stats.bytesDone.add(c.length());
    }

    /** Adjacent trusted chunks that lie adjacent in one local file too, copied as one run. */
    private static final class LocalCopy {
        final Path file;
        final long from;
        final long to;
        long length;

        LocalCopy(Path file, long from, long to, long length) {
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
}
