package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The file {@link FileAssembler} is building: its part file, resume log and which chunks are
 * written and which are checkpointed (fsynced and logged).
 *
 * <p>Shared by the fetch workers and the syncing thread; every method that touches the chunk
 * sets does so under this object's lock (fsyncs run outside it), and waiters on {@link #writtenFrom} are woken whenever a chunk is
 * written or the workers are over. The part file itself is written with positional writes to
 * disjoint regions, so {@link #out} needs no lock.
 */
final class AssemblyJob {

    /** Chunk bytes patched between two checkpoints; a crash redoes at most this much patching. */
    static final long PATCH_CHECKPOINT_BYTES = 8L << 20;

    final Manifest.Entry entry;
    final FileChannel out;
    private final ResumeLog log;
    private final BitSet done;
    /** Chunks in the part file and verified, fsynced or not: what {@link OrderedPartHash} may read. */
    private final BitSet written;
    private boolean workersOver;
    private final List<Integer> unsyncedPatches = new ArrayList<>();
    private long unsyncedPatchBytes;

    AssemblyJob(Manifest.Entry entry, FileChannel out, ResumeLog log, BitSet done) {
        this.entry = entry;
        this.out = out;
        this.log = log;
        this.done = done;
        this.written = (BitSet) done.clone();
    }

    /**
     * Writes a verified chunk to its place in the part file. Positional, hence safe while other
     * workers write other regions; it counts as written only once {@link #written} says so.
     */
    void write(Chunk c, ByteBuffer buf) throws IOException {
        ByteBuffer data = buf.duplicate();
        while (data.hasRemaining()) {
            out.write(data, c.offset() + data.position());
        }
    }

    synchronized void written(List<Integer> chunks) {
        for (int i : chunks) {
            written.set(i);
        }
        notifyAll();
    }

    synchronized void written(int i) {
        written.set(i);
        notifyAll();
    }

    /** No worker will write any more (all finished, or one failed). */
    synchronized void workersOver() {
        workersOver = true;
        notifyAll();
    }

    /**
     * The end (exclusive) of the run of written chunks starting at {@code from}; with
     * {@code wait}, waits while that run is empty and workers are still at it.
     */
    synchronized int writtenFrom(int from, boolean wait) throws InterruptedIOException {
        while (wait && !written.get(from) && !workersOver) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while hashing " + entry.path());
            }
        }
        int end = written.nextClearBit(from);
        return Math.min(end, entry.chunks().size());
    }

    synchronized boolean isDone(int i) {
        return done.get(i);
    }

    /** Runs of chunks neither written nor in {@code claimed} (to be copied from local files). */
    synchronized List<List<Integer>> missingRanges(long cap, BitSet claimed) {
        BitSet skip = (BitSet) written.clone();
        skip.or(claimed);
        return FileAssembler.missingRanges(entry.chunks(), skip, cap);
    }

    /**
     * Fetched or patched chunks, on disk: fsync, then record them. The fsync runs outside the
     * lock, so the hashing thread and the other workers go on meanwhile (the first one also
     * writes back the local copies, which are not recorded: a resume copies them again).
     */
    void checkpoint(List<Integer> chunks) throws IOException {
        if (chunks.isEmpty()) {
            return;
        }
        out.force(false);
        synchronized (this) {
            log.append(chunks);
            for (int i : chunks) {
                done.set(i);
                written.set(i);
            }
            notifyAll();
        }
    }

    /**
     * Patched chunks cost little to redo, so they are checkpointed per PATCH_CHECKPOINT_BYTES
     * rather than per run: two fsyncs per run would dominate a delta of many small edits.
     */
    void patched(List<Integer> chunks) throws IOException {
        boolean flush;
        synchronized (this) {
            for (int i : chunks) {
                unsyncedPatches.add(i);
                unsyncedPatchBytes += entry.chunks().get(i).length();
            }
            flush = unsyncedPatchBytes >= PATCH_CHECKPOINT_BYTES;
        }
        if (flush) {
            flushPatches();
        }
    }

    void flushPatches() throws IOException {
        List<Integer> chunks;
        synchronized (this) {
            chunks = new ArrayList<>(unsyncedPatches);
            unsyncedPatches.clear();
            unsyncedPatchBytes = 0;
        }
        checkpoint(chunks);
    }
}
