package yunjing.sync.agent;

import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The replica side of sync: brings a local {@link ArtifactStore} to the revision a signed
 * manifest names, moving only the chunks it does not already have.
 *
 * <ol>
 *   <li>Verify the manifest ({@link ManifestVerifier}: signature, repository, expiry, no rollback
 *       below the version last accepted for this repo and ref, safe paths). Nothing is written
 *       before this passes.</li>
 *   <li>Index the chunks available locally: the ref's current revision (its manifest's chunk
 *       lists), the target revision if already present, and every file under the configured
 *       local directories (chunked with the same {@link yunjing.sync.chunk.FastCdc}).</li>
 *   <li>A file the current revision holds byte for byte (same digest, verified and unchanged since)
 *       is hard-linked into the staged revision ({@link UnchangedFiles}).</li>
 *   <li>For each other file, in {@code tmp/agent-{revision}.parts/}: copy matching local chunks,
 *       fetch the rest as merged {@code Range}s from the {@link ChunkSource}s, verify every chunk
 *       and the whole-file SHA-256, fsync, then rename into the staged revision
 *       {@code tmp/agent-{revision}/}. Several files at once ({@link FileAssembly}), each hashed
 *       on its own thread.</li>
 *   <li>Write the signed manifest into the staged revision and {@link ArtifactStore#activate}
 *       it: one rename of the directory, then the ref moves. Record the accepted version.</li>
 * </ol>
 *
 * <p>Crash safety: until the final rename the ref still names the previous revision, whole. The
 * staging and part directories are named after the revision, so the next sync of the same
 * manifest resumes: finished files are re-hashed rather than fetched, part files continue from
 * their {@link ResumeLog}.
 *
 * <p>One sync at a time per store: {@link #sync} is {@code synchronized}. Each sync starts
 * {@link Builder#concurrency} daemon fetch workers (see {@link FileAssembler}), a thread per file
 * being assembled and one for its local copies, and, with a {@link Builder#progress} listener, one
 * progress thread; all are stopped before it returns.
 */
public final class DeltaAgent {

    private static final System.Logger LOG = System.getLogger(DeltaAgent.class.getName());

    /** Range requests in flight at once unless {@link Builder#concurrency} says otherwise. */
    public static final int DEFAULT_CONCURRENCY = 6;

    /** The activated revision and what it cost. */
    public record Result(Revision revision, SyncStats stats, boolean activated) {
    }

    private final ArtifactStore store;
    private final ManifestVerifier verifier;
    private final List<ChunkSource> sources;
    private final List<Path> localDirectories;
    private final long maxRangeBytes;
    private final int maxAttempts;
    private final int keepRevisions;
    private final Path stateDirectory;
    private final int concurrency;
    private final RateLimiter limiter;
    private final SyncProgress.Listener progress;
    private final Duration progressInterval;
    private final SyncMetrics metrics;
    private final ClockSkewGuard clockGuard;
    private final Clock clock;

    private DeltaAgent(Builder b) {
        this.store = b.store;
        this.verifier = b.verifier;
        this.limiter = b.bytesPerSecond > 0 ? new RateLimiter(b.bytesPerSecond) : null;
        this.sources = b.sources.stream().map(s -> limiter == null ? s : (ChunkSource) new ThrottledChunkSource(s, limiter)).toList();
        this.concurrency = b.concurrency;
        this.progress = b.progress;
        this.progressInterval = b.progressInterval;
        this.metrics = b.metrics;
        this.clockGuard = b.clockGuard;
        this.clock = b.clock;
        this.localDirectories = List.copyOf(b.localDirectories);
        this.maxRangeBytes = b.maxRangeBytes;
        this.maxAttempts = b.maxAttempts;
        this.keepRevisions = b.keepRevisions;
        this.stateDirectory = b.stateDirectory != null ? b.stateDirectory : store.root().resolve("agent");
        ChunkHasher.warmUpInBackground();
    }

    /** An agent writing into {@code store}, trusting {@code verifier}, fetching from {@code source} first. */
    public static Builder builder(ArtifactStore store, ManifestVerifier verifier, ChunkSource source) {
        return new Builder(store, verifier, source);
    }

    /** Immutable agent configuration, built once. */
    public static final class Builder {
        private final ArtifactStore store;
        private final ManifestVerifier verifier;
        private final List<ChunkSource> sources = new ArrayList<>();
        private final List<Path> localDirectories = new ArrayList<>();
        private long maxRangeBytes = 16L << 20;
        private int maxAttempts = 3;
        private int keepRevisions;
        private Path stateDirectory;
        private int concurrency = DEFAULT_CONCURRENCY;
        private long bytesPerSecond;
        private SyncProgress.Listener progress;
        private Duration progressInterval = Duration.ofMillis(250);
        private SyncMetrics metrics;
        private ClockSkewGuard clockGuard;
        private Clock clock = Clock.systemUTC();

        private Builder(ArtifactStore store, ManifestVerifier verifier, ChunkSource source) {
            this.store = store;
            this.verifier = verifier;
            this.sources.add(source);
        }

        /** Another source, tried after a failed or truncated response and first for a chunk that failed verification. */
        public Builder alternate(ChunkSource source) {
            sources.add(source);
            return this;
        }

        /** A directory whose files may hold chunks of new revisions (e.g. a download cache). */
        public Builder localDirectory(Path directory) {
            localDirectories.add(directory);
            return this;
        }

        /** Upper bound of one merged range request; also the most a restart re-fetches per file. */
        public Builder maxRangeBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxRangeBytes: " + bytes + " (expected: > 0)");
            }
            this.maxRangeBytes = bytes;
            return this;
        }

        /** Requests per range (after truncation) and per corrupt chunk before the sync fails. */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("maxAttempts: " + attempts + " (expected: >= 1)");
            }
            this.maxAttempts = attempts;
            return this;
        }

        /** Where accepted manifest versions are recorded; default {@code {store}/agent}. */
        public Builder stateDirectory(Path directory) {
            this.stateDirectory = directory;
            return this;
        }

        /**
         * After each activation, keep only the {@code revisions} most recently activated revisions of
         * the repository (and any a ref names), deleting older ones ({@link RevisionRetention});
         * 0, the default, keeps every revision.
         */
        public Builder keepRevisions(int revisions) {
            if (revisions < 0) {
                throw new IllegalArgumentException("keepRevisions: " + revisions + " (expected: >= 0, 0 for all)");
            }
            this.keepRevisions = revisions;
            return this;
        }

        /**
         * Range requests in flight at once (default {@value #DEFAULT_CONCURRENCY}), each on its own
         * keep-alive connection (or HTTP/2 stream). Sources must then be safe for concurrent use.
         */
        public Builder concurrency(int requests) {
            if (requests < 1 || requests > 64) {
                throw new IllegalArgumentException("concurrency: " + requests + " (expected: 1 to 64)");
            }
            this.concurrency = requests;
            return this;
        }

        /** Bytes per second this agent may read from its sources, all requests together; 0 (default): no limit. */
        public Builder limitRate(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("limitRate: " + bytesPerSecond + " (expected: >= 0)");
            }
            this.bytesPerSecond = bytesPerSecond;
            return this;
        }

        /** Reports progress every {@code interval} during a sync, and once at its end, from a thread of the agent's. */
        public Builder progress(SyncProgress.Listener listener, Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("progress interval: " + interval + " (expected: > 0)");
            }
            this.progress = listener;
            this.progressInterval = interval;
            return this;
        }

        /** Counts every sync's cost and lag into {@code metrics} (the node's registry, behind its {@code /metrics}). */
        public Builder metrics(SyncMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /** Checks the clock against an NTP server before judging a manifest's expiry. */
        public Builder clockSkewGuard(ClockSkewGuard guard) {
            this.clockGuard = guard;
            return this;
        }

        /** The clock lag is measured with (default: system UTC); the verifier has its own. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public DeltaAgent build() {
            return new DeltaAgent(this);
        }
    }

    /**
     * Verifies {@code signedManifest} for {@code repo} and makes {@code ref} name its revision,
     * fetching what is missing. Throws {@link ManifestRejectedException} before writing anything
     * if the manifest is refused; on an {@link IOException} the previous revision stays active
     * and a later call resumes.
     */
    public synchronized Result sync(String repo, String ref, byte[] signedManifest) throws IOException, ManifestRejectedException {
        SyncStats.Counter stats = new SyncStats.Counter();
        SyncMetrics.Outcome outcome = SyncMetrics.Outcome.FAILED;
        try {
            Result result = syncOnce(repo, ref, signedManifest, stats);
            outcome = result.activated() ? SyncMetrics.Outcome.ACTIVATED : SyncMetrics.Outcome.CURRENT;
            return result;
        } catch (ManifestRejectedException e) {
            outcome = SyncMetrics.Outcome.REFUSED;
            throw e;
        } finally {
            if (metrics != null) {
                metrics.record(repo, stats.snapshot(), outcome);
            }
        }
    }

    private Result syncOnce(String repo, String ref, byte[] signedManifest, SyncStats.Counter stats)
            throws IOException, ManifestRejectedException {
        Revision current = store.hasRef(repo, ref) ? store.resolve(repo, ref) : null;
        Manifest manifest = verifier.verify(signedManifest, repo, lastAccepted(repo, ref, current));
        if (clockGuard != null) {
            clockGuard.check(manifest);
        }
        ManifestVerifier.Accepted accepted = new ManifestVerifier.Accepted(manifest.version(), manifest.revision());
        if (current != null && current.id().equals(manifest.revision()) && current.manifest().version() >= manifest.version()) {
            saveAccepted(repo, ref, accepted);
            return new Result(current, stats.snapshot(), false);
        }

        Path tmp = store.tmpDirectory();
        AbandonedSyncs.sweep(tmp, manifest.revision(), AbandonedSyncs.MAX_IDLE, clock);
        Path staged = Files.createDirectories(tmp.resolve("agent-" + manifest.revision()));
        Path parts = Files.createDirectories(tmp.resolve("agent-" + manifest.revision() + ".parts"));
        long total = manifest.entries().stream().mapToLong(Manifest.Entry::size).sum();
        // One thread per request in flight; the local copies, which wait on the hashing, have threads of their own.
        ExecutorService pool = concurrency > 1 ? Executors.newFixedThreadPool(concurrency, daemonThreads("sync-fetch")) : null;
        ExecutorService copyPool = concurrency > 1 ? Executors.newCachedThreadPool(daemonThreads("sync-copy")) : null;
        ScheduledExecutorService ticker = progress == null ? null : Executors.newSingleThreadScheduledExecutor(daemonThreads("sync-progress"));
        long started = System.nanoTime();
        Runnable report = () -> progress.onProgress(new SyncProgress(repo, stats.bytesDone.sum(), total, stats.bytesFetched.sum(),
                Duration.ofNanos(System.nanoTime() - started), false));
        if (ticker != null) {
            ticker.scheduleAtFixedRate(report, 0, progressInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
        Revision activated;
        Set<String> trusted = current == null ? Set.of()
                : RevisionStamps.unchanged(stampFile(repo, current.id()), current.directory(), current.manifest());
        UnchangedFiles unchanged = UnchangedFiles.of(current, trusted);
        try (LocalChunks local = localChunks(repo, current, trusted, manifest.revision())) {
            FileAssembler assembler = new FileAssembler(repo, manifest.revision(), sources, local, maxRangeBytes, maxAttempts,
                    stats, pool, copyPool, concurrency);
            List<FileAssembly> assemblies = new ArrayList<>();
            List<Manifest.Entry> entries = manifest.entries();
            for (int i = 0; i < entries.size(); i++) {
                Manifest.Entry entry = entries.get(i);
                Path target = staged.resolve(entry.path());
                if (unchanged.link(entry, target)) {
                    stats.filesLinked.increment();
                    stats.chunksReused.add(entry.chunks().size());
                    stats.bytesReused.add(entry.size());
                    stats.bytesDone.add(entry.size());
                    continue;
                }
                if (Files.isRegularFile(target) && Files.size(target) == entry.size() && FileAssembler.sha256(target).equals(entry.sha256())) {
                    stats.bytesDone.add(entry.size());
                    continue;
                }
                // The previous revision's file of the same path: model updates mostly rewrite bytes in place.
                Path basis = current == null ? null : current.directory().resolve(entry.path());
                assemblies.add(new FileAssembly(entry, target, parts.resolve(i + ".part"), parts.resolve(i + ".done"), basis));
            }
            FileAssembly.runAll(assembler, assemblies, pool == null ? 1 : filesAtOnce());
            Path manifestFile = staged.resolve(Manifest.FILE_NAME);
            Files.write(manifestFile, signedManifest);
            try (FileChannel channel = FileChannel.open(manifestFile, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            activated = store.activate(repo, ref, staged);
        } catch (IOException e) {
            if (!DiskFull.is(e)) {
                throw e;
            }
            // Parts kept for a resume would keep the disk full for everything else on the node.
            deleteRecursively(staged);
            deleteRecursively(parts);
            throw DiskFull.explain(e, tmp, total);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
                copyPool.shutdownNow();
            }
            if (ticker != null) {
                ticker.shutdownNow();
                awaitQuietly(ticker); // no tick may land after the final report
            }
        }
        saveAccepted(repo, ref, accepted);
        try {
            RevisionStamps.write(stampFile(repo, activated.id()), activated.directory(), activated.manifest());
        } catch (IOException e) {
            // Only an optimisation: without stamps the next sync re-hashes the local chunks.
            LOG.log(System.Logger.Level.WARNING, () -> "sync " + repo + ": no stamps for " + activated.id() + ": " + e.getMessage());
        }
        deleteRecursively(parts);
        try {
            RevisionRetention.prune(store, repo, keepRevisions, stampFile(repo, activated.id()).getParent());
        } catch (IOException | RuntimeException e) {
            // The new revision is active either way; the next sync tries again.
            LOG.log(System.Logger.Level.WARNING, () -> "sync " + repo + ": old revisions not pruned: " + e.getMessage());
        }
        if (metrics != null && manifest.published() != null) {
            metrics.lag(repo, Duration.between(manifest.published(), clock.instant()));
        }
        if (progress != null) {
            progress.onProgress(new SyncProgress(repo, stats.bytesDone.sum(), total, stats.bytesFetched.sum(),
                    Duration.ofNanos(System.nanoTime() - started), true));
        }
        return new Result(activated, stats.snapshot(), true);
    }

    /**
     * Files assembled at once when a sync has several to build: each hashes on its own thread, so
     * the shards of a model update use the node's cores; requests in flight stay bounded by
     * {@code concurrency} for all of them together.
     */
    private int filesAtOnce() {
        return Math.min(concurrency, Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    private static void awaitQuietly(ExecutorService executor) {
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private LocalChunks localChunks(String repo, Revision current, Set<String> currentTrusted, String target) throws IOException {
        LocalChunks local = new LocalChunks();
        if (current != null) {
            local.addRevision(current.directory(), current.manifest(), currentTrusted);
        }
        try {
            Revision known = store.resolve(repo, target);
            local.addRevision(known.directory(), known.manifest(),
                    RevisionStamps.unchanged(stampFile(repo, known.id()), known.directory(), known.manifest()));
        } catch (NoSuchFileException absent) {
            // A revision this node never had: nothing to add.
        }
        for (Path dir : localDirectories) {
            local.addDirectory(dir);
        }
        return local;
    }

    /** The floor for the next manifest: the recorded state, else the version of what the ref names now. */
    private ManifestVerifier.Accepted lastAccepted(String repo, String ref, Revision current) throws IOException {
        Path file = stateFile(repo, ref);
        if (Files.isRegularFile(file)) {
            String[] fields = Files.readString(file, StandardCharsets.US_ASCII).strip().split(" ");
            try {
                return new ManifestVerifier.Accepted(Long.parseLong(fields[0]), fields[1]);
            } catch (RuntimeException e) {
                throw new IOException(file + ": '" + String.join(" ", fields) + "' (expected: VERSION REVISION)", e);
            }
        }
        if (current != null && current.manifest().version() > 0) {
            return new ManifestVerifier.Accepted(current.manifest().version(), current.id());
        }
        return null;
    }

    private void saveAccepted(String repo, String ref, ManifestVerifier.Accepted accepted) throws IOException {
        Path file = stateFile(repo, ref);
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, accepted.version() + " " + accepted.revision() + "\n", StandardCharsets.US_ASCII);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Size and mtime of each file of {@code revision} when this agent activated it. */
    private Path stampFile(String repo, String revision) {
        return stateDirectory.resolve(repo).resolve("verified").resolve(revision);
    }

    private Path stateFile(String repo, String ref) {
        // repo and ref were checked by the store (owner/name, plain names), so they are safe path segments.
        return stateDirectory.resolve(repo).resolve(ref + ".accepted");
    }

    /** Deletes {@code dir} and everything in it; nothing when it is not there. */
    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
