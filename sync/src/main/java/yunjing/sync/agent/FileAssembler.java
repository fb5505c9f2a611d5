package yunjing.sync.agent;

import yunjing.sync.chunk.ByteSpan;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;
import yunjing.sync.concurrent.Parallel;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Builds one file of a new revision in a part file: chunks found locally are copied, the rest
 * are patched from the previous version of the file or fetched as merged byte ranges, and every
 * chunk is verified before it counts as written.
 *
 * <p>Local reuse ({@link LocalChunkReuse}) is planned first, on the calling thread; chunks of
 * trusted files are then copied by one pool thread without a hash of their own, written around
 * the page cache ({@link PartWriter}). Those copies are checked by the whole-file SHA-256, which
 * {@link OrderedPartHash} computes on the calling thread while the workers fetch, taking the
 * copies' bytes from their buffers ({@link CopyHandoff}): on a mismatch the file is built again
 * with every local chunk re-hashed.
 *
 * <p>Runs of missing chunks are then patched and fetched by up to {@code concurrency} workers at
 * once (one in-flight request each). Each worker owns its buffers, hasher and
 * {@link BlockPatcher}; workers write to disjoint regions of the part file with positional
 * writes, and {@link AssemblyJob} serializes what they share: the done set and the resume log.
 *
 * <p>Failure handling: a response that ends early or fails midway is asked again for the
 * chunks still missing (up to {@code maxAttempts} requests, rotating through the sources); a
 * chunk whose hash does not match is counted and refetched alone, from the next source first.
 * Progress is checkpointed in a {@link ResumeLog} after every range, so a restart re-fetches at
 * most the ranges that were in flight. When one run fails for good, queued runs are skipped,
 * the runs in flight finish and are checkpointed, and the first failure is thrown.
 *
 * <p>{@link #assemble} may run on several threads at once, each for its own file: they share the
 * fetch workers (so {@code concurrency} bounds the requests of all of them together) and each
 * has its own local plan worker and copy buffers ({@link Slot}).
 */
final class FileAssembler {

    /** Longest run of adjacent chunks patched as one span (a batch holds several, see {@link #patchBatches}). */
    static final long PATCH_RUN_BYTES = 4L << 20;

    private final String repo;
    private final String revision;
    private final List<ChunkSource> sources;
    private final LocalChunks local;
    private final long maxRangeBytes;
    private final int maxAttempts;
    private final SyncStats.Counter stats;
    private final ExecutorService pool;
    private final ExecutorService copyPool;
    /** Shared by every file being assembled: at most {@code concurrency} requests in flight in all. */
    private final BlockingQueue<Worker> workers;
    /** What one assembling thread uses alone; one per file being assembled at once. */
    private final Queue<Slot> slots = new ConcurrentLinkedQueue<>();
    private final LocalChunkReuse localReuse;
    private final int concurrency;

    FileAssembler(String repo, String revision, List<ChunkSource> sources, LocalChunks local,
                  long maxRangeBytes, int maxAttempts, SyncStats.Counter stats) {
        this(repo, revision, sources, local, maxRangeBytes, maxAttempts, stats, null, null, 1);
    }

    /**
     * {@code pool} runs up to {@code concurrency} fetch workers at once ({@code concurrency}
     * threads), {@code copyPool} the local copy of each file being assembled (one thread each);
     * null pools run everything on the caller. {@link #assemble} may be called by several threads
     * at once for different files: they share the pools and the limit of requests in flight.
     */
    FileAssembler(String repo, String revision, List<ChunkSource> sources, LocalChunks local,
                  long maxRangeBytes, int maxAttempts, SyncStats.Counter stats, ExecutorService pool, ExecutorService copyPool,
                  int concurrency) {
        this.repo = repo;
        this.revision = revision;
        this.sources = sources;
        this.local = local;
        this.maxRangeBytes = maxRangeBytes;
        this.maxAttempts = maxAttempts;
        this.stats = stats;
        this.localReuse = new LocalChunkReuse(local, stats);
        this.pool = concurrency > 1 && copyPool != null ? pool : null;
        this.copyPool = this.pool != null ? copyPool : null;
        this.concurrency = Math.max(1, concurrency);
        this.workers = new ArrayBlockingQueue<>(this.concurrency);
        for (int i = 0; i < this.concurrency; i++) {
            workers.add(new Worker());
        }
    }

    /** An assembling thread's own: its worker for the local plan, and the local copies' buffers (allocated at the first copy). */
    private final class Slot {
        final Worker caller = new Worker();
        private List<ByteBuffer> copyBuffers;

        /** Aligned for direct I/O on any block size {@link PartWriter} accepts. */
        List<ByteBuffer> copyBuffers() {
            if (copyBuffers == null) {
                copyBuffers = CopyHandoff.allocate(pool != null ? CopyHandoff.BUFFERS : 1, LocalChunkReuse.COPY_STEP_BYTES,
                        PartWriter.MAX_ALIGNMENT);
            }
            return copyBuffers;
        }
    }

    /** One worker's state: its chunk buffer, hasher and patcher. Used by one thread at a time. */
    private final class Worker {
        final ChunkHasher hasher = new ChunkHasher();
        final ByteBuffer buf = ByteBuffer.allocate(FastCdc.MAX_SIZE);
        private BlockPatcher patcher;

        BlockPatcher patcher() {
            if (patcher == null) {
                patcher = new BlockPatcher(repo, revision, sources.getFirst(), stats);
            }
            return patcher;
        }
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
        if (entry.size() > 0 && entry.chunks().isEmpty()) {
            throw new IOException(entry.path() + ": the manifest has no chunk list for a non-empty file");
        }
        Slot slot = slots.poll();
        if (slot == null) {
            slot = new Slot();
        }
        String sha;
        try {
            boolean trusting = local.hasTrusted();
            sha = assembleOnce(entry, part, logFile, basis, slot);
            if (!sha.equals(entry.sha256()) && trusting) {
                // A trusted local file changed without its size or mtime showing it: build again, re-hashing everything.
                Files.deleteIfExists(part);
                Files.deleteIfExists(logFile);
                local.distrust();
                sha = assembleOnce(entry, part, logFile, basis, slot);
            }
        } finally {
            slots.add(slot);
        }
        if (!sha.equals(entry.sha256())) {
            Files.deleteIfExists(part);
            Files.deleteIfExists(logFile);
            throw new IOException(entry.path() + ": assembled file has sha256 " + sha + " (expected: " + entry.sha256()
                    + ", although every chunk verified: inconsistent manifest); partial file discarded");
        }
    }

    /** Builds the part file and returns its SHA-256, hashed in order while the workers fill it. */
    private String assembleOnce(Manifest.Entry entry, Path part, Path logFile, Path basis, Slot slot) throws IOException {
        List<Chunk> chunks = entry.chunks();
        BitSet done;
        if (Files.exists(part)) {
            done = ResumeLog.load(logFile, chunks.size());
        } else {
            Files.deleteIfExists(logFile);
            done = new BitSet(chunks.size());
        }
        for (int i = done.nextSetBit(0); i >= 0; i = done.nextSetBit(i + 1)) {
            stats.bytesDone.add(chunks.get(i).length());
        }
        String sha;
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
             ResumeLog log = ResumeLog.open(logFile)) {
            AssemblyJob job = new AssemblyJob(entry, out, log, done);
            LocalChunkReuse.Plan copies = localReuse.plan(job, slot.caller.buf, slot.caller.hasher);
            // With a pool, the copies go around the page cache and their bytes straight to the hashing thread;
            // without, the syncing thread copies through the page cache first and hashes the part file after.
            // A file with nothing to copy (a new file, a small one) opens and allocates nothing for copies.
            boolean copying = !copies.chunks.isEmpty();
            CopyHandoff handoff = !copying ? new CopyHandoff(List.of())
                    : pool != null ? new CopyHandoff(slot.copyBuffers()) : CopyHandoff.unhashed(slot.copyBuffers().getFirst());
            boolean patching = basis != null && Files.isRegularFile(basis) && !sources.isEmpty();
            OrderedPartHash hash = new OrderedPartHash(job, handoff);
            try (PartWriter writer = copying && pool != null ? PartWriter.open(part, out) : PartWriter.buffered(out);
                 FileChannel old = patching ? FileChannel.open(basis, StandardOpenOption.READ) : null) {
                IoTask copy = () -> localReuse.copy(copies, job, writer, handoff);
                if (patching) {
                    List<List<Integer>> runs = job.missingRanges(Math.min(maxRangeBytes, PATCH_RUN_BYTES), copies.chunks);
                    runAll(job, patchBatches(entry.chunks(), runs, concurrency), (worker, batch) -> patchAndFetch(job, batch, old, worker),
                            copy, hash, handoff, slot);
                } else {
                    runAll(job, job.missingRanges(maxRangeBytes, copies.chunks), (worker, run) -> fetchRun(job, run, worker), copy, hash,
                            handoff, slot);
                }
            }
            job.flushPatches();
            if (out.size() != entry.size()) {
                out.truncate(entry.size());
            }
            out.force(true);
            sha = hash.finish();
        }
        return sha;
    }

    private interface RunTask<T> {
        void run(Worker worker, T task) throws IOException;
    }

    private interface IoTask {
        void run() throws IOException;
    }

    /**
     * Runs {@code local} (the local copies) and {@code task} for every run: on the pool's threads
     * while the caller hashes what is written, in order, or all on the caller when there is no
     * pool. Throws the first failure, after every thread stopped.
     */
    private <T> void runAll(AssemblyJob job, List<T> runs, RunTask<T> task, IoTask local, OrderedPartHash hash,
                            CopyHandoff handoff, Slot slot) throws IOException {
        if (pool == null) {
            local.run();
            for (T run : runs) {
                task.run(slot.caller, run);
            }
            return;
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Consumer<Throwable> fail = t -> {
            failure.compareAndSet(null, t);
            handoff.abandon(); // the copy stops too: the file fails anyway
        };
        List<Future<?>> futures = new ArrayList<>(runs.size() + 1);
        futures.add(copyPool.submit(() -> { // its own thread, so the hashing can follow it from the start
            try {
                local.run();
            } catch (Throwable t) {
                fail.accept(t);
            }
        }));
        for (T run : runs) {
            futures.add(pool.submit(() -> {
                if (failure.get() != null) {
                    return; // the file fails anyway: start nothing new
                }
                Worker worker;
                try {
                    worker = workers.take();
                } catch (InterruptedException e) {
                    fail.accept(new InterruptedIOException("interrupted while fetching " + revision));
                    return;
                }
                try {
                    task.run(worker, run);
                } catch (Throwable t) {
                    fail.accept(t);
                } finally {
                    workers.add(worker);
                }
            }));
        }
        Thread waiter = Thread.ofPlatform().daemon().name("sync-fetch-done").start(() -> {
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (InterruptedException | ExecutionException | java.util.concurrent.CancellationException e) {
                    // The failure, if any, is recorded by the task itself.
                }
            }
            job.workersOver();
        });
        try {
            try {
                hash.advance(true);
            } catch (IOException | RuntimeException | Error e) {
                fail.accept(e); // queued runs are skipped; those in flight finish
            } finally {
                handoff.abandon(); // a copy still waiting for a buffer has nobody left to hash it
                waiter.join();
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching " + revision);
        } catch (ExecutionException e) {
            fail.accept(e.getCause());
        }
        Parallel.rethrow(failure.get());
    }

    /** Runs of missing chunks: patch what the old file allows, fetch the rest whole. */
    private void patchAndFetch(AssemblyJob job, List<List<Integer>> batch, FileChannel old, Worker worker) throws IOException {
        List<Integer> patched = worker.patcher().patch(job.entry, batch, old, job.out);
        for (int i : patched) {
            stats.bytesDone.add(job.entry.chunks().get(i).length());
        }
        job.written(patched);
        job.patched(patched);
        for (List<Integer> run : batch) {
            List<Integer> missing = new ArrayList<>(run);
            missing.removeAll(patched);
            fetchRun(job, missing, worker);
        }
    }

    /** Fetches the chunks of {@code run} (ascending), one request per group of adjacent ones. */
    private void fetchRun(AssemblyJob job, List<Integer> run, Worker worker) throws IOException {
        List<Integer> adjacent = new ArrayList<>();
        for (int i : run) {
            if (!adjacent.isEmpty() && adjacent.getLast() != i - 1) {
                fetchRange(job, adjacent, worker);
                adjacent = new ArrayList<>();
            }
            adjacent.add(i);
        }
        if (!adjacent.isEmpty()) {
            fetchRange(job, adjacent, worker);
        }
    }

    /** Most bytes of runs one patch batch covers: a worker's span buffer is this big. */
    static final long PATCH_BATCH_BYTES = 8L << 20;

    /**
     * Consecutive runs grouped for {@link BlockPatcher}: about an equal share of the bytes for each
     * of {@code workers}, at most {@link #PATCH_BATCH_BYTES} and {@link ByteSpan#MAX_PER_REQUEST}
     * runs a batch. The grouping depends only on the runs and the worker count, so replicas that
     * hold the same old file ask a shared cache for the same URLs.
     */
    static List<List<List<Integer>>> patchBatches(List<Chunk> chunks, List<List<Integer>> runs, int workers) {
        long total = 0;
        for (List<Integer> run : runs) {
            total += chunks.get(run.getLast()).end() - chunks.get(run.getFirst()).offset();
        }
        long share = Math.min(PATCH_BATCH_BYTES, Math.max(1, (total + workers - 1) / workers));
        List<List<List<Integer>>> batches = new ArrayList<>();
        List<List<Integer>> batch = new ArrayList<>();
        long bytes = 0;
        for (List<Integer> run : runs) {
            long length = chunks.get(run.getLast()).end() - chunks.get(run.getFirst()).offset();
            if (!batch.isEmpty() && (bytes + length > share || batch.size() == ByteSpan.MAX_PER_REQUEST)) {
                batches.add(batch);
                batch = new ArrayList<>();
                bytes = 0;
            }
            batch.add(run);
            bytes += length;
        }
        if (!batch.isEmpty()) {
            batches.add(batch);
        }
        return batches;
    }

    /** Runs of consecutive missing chunks, each at most {@code cap} bytes long (or one chunk). */
    static List<List<Integer>> missingRanges(List<Chunk> chunks, BitSet done, long cap) {
        List<List<Integer>> ranges = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long bytes = 0;
        for (int i = done.nextClearBit(0); i < chunks.size(); i = done.nextClearBit(i + 1)) {
            int length = chunks.get(i).length();
            boolean adjacent = !current.isEmpty() && current.getLast() == i - 1;
            if (!current.isEmpty() && (!adjacent || bytes + length > cap)) {
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

    private void fetchRange(AssemblyJob job, List<Integer> range, Worker w) throws IOException {
        Manifest.Entry entry = job.entry;
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
            stats.requests.increment();
            try (InputStream in = source.openRange(repo, revision, entry.path(), first.offset(), last.end() - 1)) {
                while (!pending.isEmpty()) {
                    int i = pending.getFirst();
                    Chunk c = chunks.get(i);
                    if (!readChunk(in, c, w.buf)) {
                        break;
                    }
                    pending.removeFirst();
                    if (w.hasher.matches(w.buf, c.sha256())) {
                        store(job, i, w.buf);
                        written.add(i);
                    } else {
                        stats.verifyFailures.increment();
                        corrupt.add(i);
                    }
                }
            } catch (IOException e) {
                lastError = e;
            }
            job.checkpoint(written);
            if (!pending.isEmpty()) {
                failures++;
                if (failures >= maxAttempts) {
                    throw new IOException(entry.path() + ": bytes " + chunks.get(pending.getFirst()).offset() + "-"
                            + (chunks.get(pending.getLast()).end() - 1) + " still missing after " + failures
                            + " truncated or failed responses", lastError);
                }
                stats.retries.increment();
            }
        }
        for (int i : corrupt) {
            refetch(job, i, w);
        }
    }

    /** Fetches chunk {@code i} alone, from the next source first, until it verifies. */
    private void refetch(AssemblyJob job, int i, Worker w) throws IOException {
        Manifest.Entry entry = job.entry;
        Chunk c = entry.chunks().get(i);
        IOException lastError = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            ChunkSource source = sources.get(attempt % sources.size());
            stats.requests.increment();
            stats.retries.increment();
            try (InputStream in = source.openRange(repo, revision, entry.path(), c.offset(), c.end() - 1)) {
                if (!readChunk(in, c, w.buf)) {
                    continue;
                }
                if (w.hasher.matches(w.buf, c.sha256())) {
                    store(job, i, w.buf);
                    job.checkpoint(List.of(i));
                    return;
                }
                stats.verifyFailures.increment();
            } catch (IOException e) {
                lastError = e;
            }
        }
        throw new IOException(entry.path() + ": chunk " + i + " (bytes " + c.offset() + "-" + (c.end() - 1)
                + ") did not verify after " + maxAttempts + " refetches from " + sources.size() + " source(s)", lastError);
    }

    /** A fetched chunk that verified: into the part file, and counted. */
    private void store(AssemblyJob job, int i, ByteBuffer buf) throws IOException {
        Chunk c = job.entry.chunks().get(i);
        job.write(c, buf);
        job.written(i);
        stats.chunksFetched.increment();
        stats.bytesDone.add(c.length());
    }

    /** Reads exactly the chunk's length into {@code buf} (flipped); false if the stream ends first. */
    private boolean readChunk(InputStream in, Chunk c, ByteBuffer buf) throws IOException {
        byte[] array = buf.array();
        int filled = 0;
        while (filled < c.length()) {
            int n = in.read(array, filled, c.length() - filled);
            if (n < 0) {
                return false;
            }
            filled += n;
            stats.bytesFetched.add(n);
        }
        buf.clear().limit(c.length());
        return true;
    }

    /** SHA-256 of a whole file, read on the calling thread. */
    static String sha256(Path file) throws IOException {
        MessageDigest sha = ChunkHasher.newSha256();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (in.read(buf.clear()) >= 0) {
                sha.update(buf.flip());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
