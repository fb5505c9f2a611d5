package yunjing.sync.agent;

import yunjing.sync.sign.ManifestRejectedException;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Keeps a replica's {@code repo@ref} on the revision its parent names: every {@code interval} it
 * polls the parent's manifest conditionally ({@link HttpManifestSource#fetchIfChanged}, a 304 when
 * nothing changed) and hands a new one to {@link DeltaAgent#sync}. The tag of a manifest is kept
 * only once its sync succeeded, so a failed or refused sync is tried again at the next poll (a
 * refused one is refused again: rollback and bad signatures never activate).
 *
 * <p>Threads: {@link #start} polls on one daemon thread; {@link #pollOnce} may be called instead,
 * from one thread at a time.
 */
public final class ManifestFollower implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ManifestFollower.class.getName());

    private final DeltaAgent agent;
    private final HttpManifestSource manifests;
    private final String repo;
    private final String ref;
    private final Consumer<DeltaAgent.Result> onSync;
    private PollingThread timer;
    private String lastEtag;

    public ManifestFollower(DeltaAgent agent, HttpManifestSource manifests, String repo, String ref,
                            Consumer<DeltaAgent.Result> onSync) {
        this.agent = agent;
        this.manifests = manifests;
        this.repo = repo;
        this.ref = ref;
        this.onSync = onSync;
    }

    /** One conditional poll; the sync result when a new manifest was synced, empty when unchanged. */
    public synchronized Optional<DeltaAgent.Result> pollOnce() throws IOException, ManifestRejectedException {
        Optional<HttpManifestSource.Fetched> fetched = manifests.fetchIfChanged(repo, ref, lastEtag);
        if (fetched.isEmpty()) {
            return Optional.empty();
        }
        DeltaAgent.Result result = agent.sync(repo, ref, fetched.get().manifest());
        lastEtag = fetched.get().etag();
        onSync.accept(result);
        return Optional.of(result);
    }

    /** Polls every {@code interval} on a daemon thread until {@link #close}. */
    public synchronized ManifestFollower start(Duration interval) {
        if (timer != null) {
            throw new IllegalStateException("already started");
        }
        timer = PollingThread.start("sync-follow-" + repo.replace('/', '-') + "-" + ref, interval, () -> {
            try {
                pollOnce();
            } catch (IOException | ManifestRejectedException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, () -> "follow " + repo + "@" + ref + ": " + e.getMessage());
            }
        });
        return this;
    }

    @Override
    public void close() {
        PollingThread t;
        synchronized (this) {
            t = timer;
        }
        if (t != null) {
            t.close();
        }
    }
}
