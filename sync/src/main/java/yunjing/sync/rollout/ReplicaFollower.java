package yunjing.sync.rollout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.PollingThread;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent loop of one replica node: for each repository it polls, conditionally, the manifest
 * of its own rollout ref ({@link RolloutController#nodeRef}) from its parent tiers, and hands a
 * new one to {@link DeltaAgent#sync}, which verifies it and activates it locally as {@code main}.
 * Parents are tried in order; a failed poll or sync is tried again at the next poll (the tag of a
 * manifest is kept only once its sync succeeded).
 *
 * <p>What the node has is reported by {@link #status()}: per repository the active revision and
 * version, and the state of the last attempt ({@code synced}, {@code waiting} when the control
 * node has no target for it yet, {@code failed}, {@code refused}).
 *
 * <p>Threads: {@link #start} polls on one daemon thread; {@link #pollOnce} may be called instead
 * (one caller at a time). {@link #status} may be called from any thread, an event loop included: it
 * reads only what the polling thread recorded.
 */
public final class ReplicaFollower implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ReplicaFollower.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The outcome of the last poll of one repository. */
    public record Attempt(String state, String detail, Instant at) {
    }

    /** The revision a repository's {@code main} names in the local store, and its manifest version. */
    private record Active(String revision, long version) {
    }

    private final String node;
    private final ArtifactStore local;
    private final DeltaAgent agent;
    private final List<HttpManifestSource> parents;
    private final List<String> repos;
    private final Clock clock;
    private final Map<String, String> etags = new ConcurrentHashMap<>();
    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
    /** Kept by the polling thread so that {@link #status} (on an admin event loop) never parses a manifest. */
    private final Map<String, Active> active = new ConcurrentHashMap<>();
    /** One poll at a time; not the object's monitor, so {@link #close} never waits behind a long sync. */
    private final Object pollLock = new Object();
    private PollingThread timer;

    /**
     * @param local   the node's replica store (the one {@code agent} writes)
     * @param parents manifest sources of the node's parent tiers, in order of preference
     */
    public ReplicaFollower(String node, ArtifactStore local, DeltaAgent agent, List<HttpManifestSource> parents,
                           List<String> repos, Clock clock) {
        if (parents.isEmpty()) {
            throw new IllegalArgumentException("node '" + node + "': no parent to follow");
        }
        this.node = node;
        this.local = local;
        this.agent = agent;
        this.parents = List.copyOf(parents);
        this.repos = List.copyOf(repos);
        this.clock = clock;
    }

    /** One conditional poll of every repository; returns the repositories that activated a new revision. */
    public List<String> pollOnce() {
        synchronized (pollLock) {
            List<String> changed = new ArrayList<>();
            for (String repo : repos) {
                if (poll(repo)) {
                    changed.add(repo);
                }
            }
            return changed;
        }
    }

    private boolean poll(String repo) {
        if (!active.containsKey(repo)) {
            readActive(repo);
        }
        String ref = RolloutController.nodeRef(node);
        Optional<HttpManifestSource.Fetched> fetched;
        try {
            fetched = fetch(repo, ref);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                return false; // closing
            }
            boolean absent = e.getMessage() != null && e.getMessage().contains("status 404");
            record(repo, absent ? "waiting" : "failed", absent ? "no target from the control node yet" : e.getMessage());
            return false;
        }
        if (fetched.isEmpty()) {
            Attempt last = attempts.get(repo);
            record(repo, "synced", last == null ? "" : last.detail());
            return false;
        }
        try {
            DeltaAgent.Result result = agent.sync(repo, "main", fetched.get().manifest());
            active.put(repo, new Active(result.revision().id(), result.revision().manifest().version()));
            etags.put(repo, fetched.get().etag() == null ? "" : fetched.get().etag());
            record(repo, "synced", "fetched " + result.stats().bytesFetched() + " B, reused "
                    + result.stats().bytesReused() + " B");
            return true;
        } catch (ManifestRejectedException e) {
            record(repo, "refused", e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (!Thread.currentThread().isInterrupted()) {
                record(repo, "failed", e.getMessage());
            }
        }
        return false;
    }

    private void readActive(String repo) {
        try {
            if (local.hasRepo(repo) && local.hasRef(repo, "main")) {
                Revision revision = local.resolve(repo, "main");
                active.put(repo, new Active(revision.id(), revision.manifest().version()));
            }
        } catch (IOException e) {
            record(repo, "failed", "cannot read the local store: " + e.getMessage());
        }
    }

    private Optional<HttpManifestSource.Fetched> fetch(String repo, String ref) throws IOException {
        IOException failure = null;
        for (HttpManifestSource parent : parents) {
            try {
                String etag = etags.get(repo);
                return parent.fetchIfChanged(repo, ref, etag == null || etag.isEmpty() ? null : etag);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    private void record(String repo, String state, String detail) {
        Attempt previous = attempts.put(repo, new Attempt(state, detail == null ? "" : detail, clock.instant()));
        if (!state.equals("synced") && (previous == null || !previous.state().equals(state))) {
            // Waiting for the control node's first decision is normal at start; failures are not.
            LOG.log(state.equals("waiting") ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    () -> node + ": sync " + repo + ": " + state + ": " + detail);
        }
    }

    /** {@code {"node":…, "repos":[{repo, revision, version, state, detail, checked}]}}. */
    public ObjectNode status() {
        ObjectNode root = JSON.createObjectNode().put("node", node);
        ArrayNode list = root.putArray("repos");
        for (String repo : repos) {
            ObjectNode r = list.addObject().put("repo", repo);
            Active now = active.get(repo);
            if (now == null) {
                r.putNull("revision");
            } else {
                r.put("revision", now.revision()).put("version", now.version());
            }
            Attempt a = attempts.get(repo);
            r.put("state", a == null ? "starting" : a.state()).put("detail", a == null ? "" : a.detail());
            r.put("checked", a == null ? null : a.at().toString());
        }
        return root;
    }

    /** Snapshot of the last attempt per repository. */
    public Map<String, Attempt> attempts() {
        return new LinkedHashMap<>(attempts);
    }

    /** Polls every {@code interval} on a daemon thread until {@link #close}. */
    public synchronized ReplicaFollower start(Duration interval) {
        if (timer != null) {
            throw new IllegalStateException("already started");
        }
        timer = PollingThread.start("sync-replica-" + node, interval, this::pollOnce);
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
