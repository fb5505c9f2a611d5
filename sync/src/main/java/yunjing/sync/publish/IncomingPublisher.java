package yunjing.sync.publish;

import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Publishes what operators drop into an incoming directory, once it has stopped changing:
 * <pre>
 *   incoming/{org}/{repo}/...files      → store.publish("{org}/{repo}", ref, that directory)
 * </pre>
 *
 * <p>How changes are noticed: a {@link WatchService} (inotify on Linux) registered on every
 * directory below {@code incoming} wakes the publisher early, and a full rescan every
 * {@code rescanInterval} catches what the watch missed: events lost to {@code OVERFLOW}, a
 * directory created before it could be registered, file systems without inotify. Neither is
 * trusted alone; both lead to the same stat-only {@link IncomingSnapshot} of a repository.
 *
 * <p>When to publish: a repository is published when its snapshot (path, size, mtime of every
 * file) has stayed the same for {@code settle} and differs from the snapshot published last.
 * Files being written under a temporary name ({@code .name}, {@code *.part}, …) do not count.
 * A publish that fails (e.g. an invalid repository name) is logged and not retried until the
 * files change. After a restart each repository is published once again: same revision id,
 * next version, fresh expiry.
 *
 * <p>Threads: {@link #start} runs one daemon thread; {@link #scan} may instead be driven by the
 * caller (tests, a one-shot CLI). Not both at once.
 */
public final class IncomingPublisher implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IncomingPublisher.class.getName());

    /** One repository directory's state: what it looked like, since when, and what was published. */
    private static final class Pending {
        IncomingSnapshot seen = IncomingSnapshot.EMPTY;
        Instant since = Instant.MIN;
        IncomingSnapshot published;
        IncomingSnapshot failed;
    }

    private final ArtifactStore store;
    private final Path incoming;
    private final String ref;
    private final Duration settle;
    private final Duration rescanInterval;
    private final Clock clock;
    private final Consumer<Revision> onPublish;
    private final Map<String, Pending> repos = new HashMap<>();
    private WatchService watcher;
    private Thread thread;
    private volatile boolean closed;

    private IncomingPublisher(Builder b) {
        this.store = b.store;
        this.incoming = b.incoming.toAbsolutePath().normalize();
        this.ref = b.ref;
        this.settle = b.settle;
        this.rescanInterval = b.rescanInterval;
        this.clock = b.clock;
        this.onPublish = b.onPublish;
    }

    public static Builder builder(ArtifactStore store, Path incoming) {
        return new Builder(store, incoming);
    }

    /** Immutable publisher configuration, built once. */
    public static final class Builder {
        private final ArtifactStore store;
        private final Path incoming;
        private String ref = "main";
        private Duration settle = Duration.ofSeconds(10);
        private Duration rescanInterval = Duration.ofSeconds(60);
        private Clock clock = Clock.systemUTC();
        private Consumer<Revision> onPublish = r -> { };

        private Builder(ArtifactStore store, Path incoming) {
            this.store = store;
            this.incoming = incoming;
        }

        /** The ref every published revision moves (default {@code main}). */
        public Builder ref(String ref) {
            this.ref = ref;
            return this;
        }

        /** How long a repository's files must stay unchanged before it is published (default 10 s). */
        public Builder settle(Duration settle) {
            this.settle = positive("settle", settle);
            return this;
        }

        /** How often everything is rescanned whatever the watch reported (default 60 s). */
        public Builder rescanInterval(Duration interval) {
            this.rescanInterval = positive("rescanInterval", interval);
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Called on the publisher's thread after each publish. */
        public Builder onPublish(Consumer<Revision> onPublish) {
            this.onPublish = onPublish;
            return this;
        }

        public IncomingPublisher build() {
            return new IncomingPublisher(this);
        }

        private static Duration positive(String name, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
            return d;
        }
    }

    /** Starts watching on a daemon thread. */
    public synchronized IncomingPublisher start() throws IOException {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        Files.createDirectories(incoming);
        watcher = FileSystems.getDefault().newWatchService();
        registerTree(incoming);
        thread = new Thread(this::run, "sync-incoming-publisher");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /**
     * Looks at every repository directory once and publishes those that have settled. Returns
     * the revisions published by this call.
     */
    public List<Revision> scan() throws IOException {
        List<Revision> published = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (String repo : repoDirectories()) {
            present.add(repo);
            Revision r = consider(repo);
            if (r != null) {
                published.add(r);
            }
        }
        repos.keySet().retainAll(present);
        return published;
    }

    private Revision consider(String repo) {
        Pending p = repos.computeIfAbsent(repo, k -> new Pending());
        Instant now = clock.instant();
        IncomingSnapshot snapshot;
        try {
            snapshot = IncomingSnapshot.of(incoming.resolve(repo));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, () -> "incoming " + repo + ": cannot scan: " + e.getMessage());
            return null;
        }
        if (!snapshot.equals(p.seen)) {
            p.seen = snapshot;
            p.since = now;
            return null;
        }
        boolean settled = !now.isBefore(p.since.plus(settle));
        if (!settled || snapshot.isEmpty() || snapshot.equals(p.published) || snapshot.equals(p.failed)) {
            return null;
        }
        try {
            // Only the files judged stable: one that appeared since the snapshot waits for the next round.
            Revision revision = store.publish(repo, ref, incoming.resolve(repo), snapshot.files()::containsKey);
            p.published = snapshot;
            LOG.log(System.Logger.Level.INFO, () -> "incoming " + repo + ": published " + revision.id()
                    + " version " + revision.manifest().version() + " as " + ref);
            onPublish.accept(revision);
            return revision;
        } catch (IOException | RuntimeException e) {
            p.failed = snapshot;
            LOG.log(System.Logger.Level.WARNING, () -> "incoming " + repo + ": not published: " + e.getMessage());
            return null;
        }
    }

    /** {org}/{repo} names of the two-level directories under incoming. */
    private List<String> repoDirectories() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(incoming)) {
            return out;
        }
        try (DirectoryStream<Path> orgs = Files.newDirectoryStream(incoming, Files::isDirectory)) {
            for (Path org : orgs) {
                try (DirectoryStream<Path> names = Files.newDirectoryStream(org, Files::isDirectory)) {
                    for (Path name : names) {
                        out.add(org.getFileName() + "/" + name.getFileName());
                    }
                }
            }
        }
        return out;
    }

    private void run() {
        long nextRescan = 0;
        while (!closed) {
            try {
                long nowNanos = System.nanoTime();
                if (nowNanos - nextRescan >= 0) {
                    nextRescan = nowNanos + rescanInterval.toNanos();
                }
                scan();
                // Wake for the next event, the next settle deadline, or the next rescan, whichever is first.
                long waitNanos = Math.min(nextRescan - System.nanoTime(), nextSettleNanos());
                WatchKey key = watcher.poll(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)), TimeUnit.MILLISECONDS);
                while (key != null) {
                    handle(key);
                    key = watcher.poll();
                }
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, () -> "incoming publisher: " + e);
                sleepQuietly(rescanInterval.toMillis());
            }
        }
    }

    private long nextSettleNanos() {
        Instant now = clock.instant();
        long best = Long.MAX_VALUE;
        for (Pending p : repos.values()) {
            if (!p.seen.isEmpty() && !p.seen.equals(p.published) && !p.seen.equals(p.failed)) {
                best = Math.min(best, Math.max(0, Duration.between(now, p.since.plus(settle)).toNanos()));
            }
        }
        return best;
    }

    private void handle(WatchKey key) throws IOException {
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                continue; // the scan that follows every wake-up covers what was lost
            }
            Path child = dir.resolve((Path) event.context());
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(child)) {
                registerTree(child);
            }
        }
        key.reset();
    }

    private void registerTree(Path root) throws IOException {
        try (Stream<Path> dirs = Files.walk(root)) {
            for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
                d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the thread and the watch. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException ignored) {
                // Closing releases the inotify descriptor; nothing else to do on failure.
            }
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
