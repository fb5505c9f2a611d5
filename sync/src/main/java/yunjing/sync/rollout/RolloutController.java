package yunjing.sync.rollout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Decides which revision of each repository every replica node takes, and publishes that
 * decision as one ref per node in the origin's store: {@code rollout.{node}}. A node's agent
 * follows its own ref through the tier caches ({@link ReplicaFollower}), so the rollout needs no
 * protocol of its own, and the chunks are still fetched by revision id, shared by every cache.
 *
 * <p>Per repository: a {@code stable} revision, a {@code canary} one while a rollout runs (taken
 * only by the canary nodes), the earlier stables for rollback, and per-node pins. A new revision
 * published under {@code main} starts a canary rollout by itself ({@link #observePublished()});
 * {@code promote} makes it stable everywhere, {@code rollback} sends every node back.
 *
 * <p>Versions: a replica refuses a manifest older than the one it accepted last (rollback
 * protection). So when a node's target becomes a revision whose manifest is older than the
 * newest the repository issued, the revision is re-signed with a new version first
 * ({@link ArtifactStore#reissue}): going back is a new, signed statement, never a replay.
 *
 * <p>State survives restarts in one JSON file ({@link RolloutStateFile}). Every method is
 * {@code synchronized}: admin requests and the publish watcher may call from any thread.
 */
public final class RolloutController {

    /** The origin-store ref that names the revision {@code node} should have. */
    public static String nodeRef(String node) {
        return "rollout." + node;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(RolloutController.class.getName());

    private final ArtifactStore store;
    private final List<String> replicas;
    private final Set<String> canaries;
    private final RolloutStateFile stateFile;
    private final Clock clock;
    private final Map<String, RepoRollout> repos;
    private final Map<String, Map<String, String>> fixedPins;

    /** A controller without pins fixed by configuration. */
    public RolloutController(ArtifactStore store, List<String> replicas, Set<String> canaries, Path stateFile,
                             Clock clock) throws IOException {
        this(store, replicas, canaries, Map.of(), stateFile, clock);
    }

    /**
     * @param replicas  every node that keeps artifacts, in topology order
     * @param canaries  the replicas that take a new revision first
     * @param fixedPins node → repository → revision id or origin ref, fixed by configuration (the
     *                  topology): they win over the rollout and cannot be unpinned at run time
     * @param stateFile where the state is kept, e.g. {@code <state>/rollout.json}
     */
    public RolloutController(ArtifactStore store, List<String> replicas, Set<String> canaries,
                             Map<String, Map<String, String>> fixedPins, Path stateFile, Clock clock) throws IOException {
        if (!new HashSet<>(replicas).containsAll(canaries)) {
            throw new IllegalArgumentException("canaries " + canaries + " (expected: among the replicas " + replicas + ")");
        }
        if (!new HashSet<>(replicas).containsAll(fixedPins.keySet())) {
            throw new IllegalArgumentException("pinned nodes " + fixedPins.keySet() + " (expected: among the replicas "
                    + replicas + ")");
        }
        this.fixedPins = Map.copyOf(fixedPins);
        this.store = store;
        this.replicas = List.copyOf(replicas);
        this.canaries = Set.copyOf(canaries);
        this.stateFile = new RolloutStateFile(stateFile);
        this.clock = clock;
        this.repos = this.stateFile.load();
    }

    /**
     * Looks at every repository's {@code main} ref: a repository seen for the first time becomes
     * stable at that revision; a {@code main} that moved to a revision other than the stable one
     * starts a canary rollout of it. Also repairs node refs (e.g. after a crash between saving
     * the state and moving the refs). Called periodically by the control node.
     */
    public synchronized void observePublished() throws IOException {
        for (String repo : store.repos()) {
            if (!store.hasRef(repo, "main")) {
                continue;
            }
            String main = store.revisionId(repo, "main");
            RepoRollout current = repos.get(repo);
            RepoRollout next;
            if (current == null) {
                next = RepoRollout.initial(repo, main, clock.instant());
            } else if (!main.equals(current.published())) {
                next = current.withPublished(main);
                if (!main.equals(current.stable()) && !main.equals(current.canary())) {
                    next = next.withCanary(main, clock.instant());
                }
            } else {
                next = current;
            }
            commit(next);
        }
    }

    /** Starts a canary rollout of {@code revision} (an id or a ref of the origin store). */
    public synchronized RepoRollout start(String repo, String revision) throws IOException {
        RepoRollout current = existing(repo);
        String id = revisionId(repo, revision);
        if (id.equals(current.stable())) {
            throw new IllegalArgumentException(repo + ": " + id + " is already the stable revision");
        }
        return commit(current.withCanary(id, clock.instant()));
    }

    /** Every node takes the canary revision; {@code expected}, when given, must be that revision. */
    public synchronized RepoRollout promote(String repo, String expected) throws IOException {
        RepoRollout current = existing(repo);
        if (current.canary() == null) {
            throw new IllegalArgumentException(repo + ": no rollout in progress (start one first)");
        }
        if (expected != null && !revisionId(repo, expected).equals(current.canary())) {
            throw new IllegalArgumentException(repo + ": the rollout in progress is " + current.canary()
                    + ", not " + expected);
        }
        return commit(current.promoted(clock.instant()));
    }

    /**
     * Every node (pins aside) goes back to {@code revision}, or when null to the stable revision
     * (during a rollout) or the previous stable one (after a promote).
     */
    public synchronized RepoRollout rollback(String repo, String revision) throws IOException {
        RepoRollout current = existing(repo);
        String id = revision != null ? revisionId(repo, revision) : current.rollbackTarget();
        if (id == null) {
            throw new IllegalArgumentException(repo + ": no earlier revision to roll back to");
        }
        return commit(current.rolledBackTo(id, clock.instant()));
    }

    /** {@code node} keeps {@code revision} (null: unpinned, follows the rollout again). */
    public synchronized RepoRollout pin(String node, String repo, String revision) throws IOException {
        if (!replicas.contains(node)) {
            throw new IllegalArgumentException("node '" + node + "' keeps no artifacts (replicas: "
                    + String.join(", ", replicas) + ")");
        }
        RepoRollout current = existing(repo);
        String fixed = fixedPin(node, repo);
        if (fixed != null) {
            throw new IllegalArgumentException("node '" + node + "' pins " + repo + " to '" + fixed
                    + "' in its configuration (topology sync.pins): change it there");
        }
        return commit(current.withPin(node, revision == null ? null : revisionId(repo, revision), clock.instant()));
    }

    /**
     * Keeps the origin's disk bounded (topology {@code sync.origin_keep_revisions}): deletes the revisions
     * of each repository beyond the {@code keep} newest published, except any the rollout may still hand
     * out or roll back to: the stable, canary and latest published revisions, the rollback history,
     * pinned revisions (at run time or in the configuration) and any a ref names ({@code main}, the node
     * refs). A replica that still wants a deleted revision gets a 404 for it; replicas keep their own
     * copies ({@code sync.keep_revisions}). {@code keep} 0 keeps everything.
     *
     * @return the deleted revisions, as {@code repo@id}
     */
    public synchronized List<String> pruneRevisions(int keep) throws IOException {
        if (keep < 0) {
            throw new IllegalArgumentException("keep: " + keep + " (expected: >= 0, 0 for all)");
        }
        List<String> deleted = new ArrayList<>();
        if (keep == 0) {
            return deleted;
        }
        for (RepoRollout r : repos.values()) {
            Set<String> wanted = new HashSet<>(r.history()); // refs (main, the node refs) are kept by the store
            Stream.of(r.stable(), r.canary(), r.published()).filter(Objects::nonNull).forEach(wanted::add);
            for (String node : replicas) {
                String target = targetOf(node, r); // run-time and configured pins included
                if (target != null) {
                    wanted.add(target);
                }
            }
            store.pruneRevisions(r.repo(), keep, wanted).deleted().forEach(id -> deleted.add(r.repo() + "@" + id));
        }
        if (!deleted.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, () -> "rollout: deleted " + deleted.size() + " old revision(s) from the origin,"
                    + " keeping the newest " + keep + " and every one the rollout names: " + deleted);
        }
        return deleted;
    }

    /** The rollout of {@code repo}, or null when the control node has not seen it. */
    public synchronized RepoRollout rollout(String repo) {
        return repos.get(repo);
    }

    /** Status of every repository (or just {@code repo}): the rollout and each node's target. */
    public synchronized ObjectNode status(String repo) {
        if (repo != null) {
            existing(repo);
        }
        ObjectNode root = JSON.createObjectNode();
        root.putArray("canaries").addAll(canaries.stream().sorted().map(root::textNode).toList());
        ArrayNode list = root.putArray("repos");
        for (RepoRollout r : repos.values()) {
            if (repo != null && !repo.equals(r.repo())) {
                continue;
            }
            ObjectNode n = RolloutStateFile.toJson(r);
            n.put("phase", r.canary() != null ? "canary" : "stable");
            ObjectNode fixed = n.putObject("fixedPins");
            ObjectNode targets = n.putObject("targets");
            for (String node : replicas) {
                if (fixedPin(node, r.repo()) != null) {
                    fixed.put(node, fixedPin(node, r.repo()));
                }
                targets.put(node, targetOf(node, r));
            }
            list.add(n);
        }
        return root;
    }

    private String fixedPin(String node, String repo) {
        return fixedPins.getOrDefault(node, Map.of()).get(repo);
    }

    /** The revision id {@code node} should have; null when its fixed pin names nothing in the store. */
    private String targetOf(String node, RepoRollout rollout) {
        String fixed = fixedPin(node, rollout.repo());
        if (fixed == null) {
            return rollout.target(node, canaries);
        }
        try {
            return store.resolve(rollout.repo(), fixed).id();
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private RepoRollout existing(String repo) {
        RepoRollout r = repos.get(repo);
        if (r == null) {
            throw new IllegalArgumentException("unknown repository '" + repo + "' (known: "
                    + (repos.isEmpty() ? "none yet" : String.join(", ", repos.keySet())) + ")");
        }
        return r;
    }

    private String revisionId(String repo, String revision) throws IOException {
        try {
            return store.resolve(repo, revision).id();
        } catch (NoSuchFileException | IllegalArgumentException e) {
            throw new IllegalArgumentException(repo + ": unknown revision '" + revision + "' in the origin store");
        }
    }

    /** Saves {@code next} and moves every node's ref to its target, re-signing where a node would go back. */
    private RepoRollout commit(RepoRollout next) throws IOException {
        RepoRollout previous = repos.get(next.repo());
        if (!next.equals(previous)) {
            Map<String, RepoRollout> updated = new LinkedHashMap<>(repos);
            updated.put(next.repo(), next);
            stateFile.save(updated);
            repos.put(next.repo(), next);
        }
        moveRefs(next);
        return next;
    }

    private void moveRefs(RepoRollout rollout) throws IOException {
        String repo = rollout.repo();
        Map<String, String> moving = new LinkedHashMap<>();
        for (String node : replicas) {
            String target = targetOf(node, rollout);
            if (target == null) {
                LOG.log(System.Logger.Level.WARNING, () -> "rollout " + repo + ": " + node + " is pinned to '"
                        + fixedPin(node, repo) + "', which the origin store does not have; its ref stays");
                continue;
            }
            String ref = nodeRef(node);
            if (!store.hasRef(repo, ref) || !store.revisionId(repo, ref).equals(target)) {
                moving.put(node, target);
            }
        }
        Set<String> reissued = new LinkedHashSet<>();
        for (String target : new LinkedHashSet<>(moving.values())) {
            Revision revision = store.resolve(repo, target);
            // A node may have accepted any version issued so far; only the newest is certain to be above it.
            if (revision.manifest().version() < store.lastVersion(repo)) {
                store.reissue(repo, target);
                reissued.add(target);
            }
        }
        for (Map.Entry<String, String> e : moving.entrySet()) {
            store.setRef(repo, nodeRef(e.getKey()), e.getValue());
        }
        if (!moving.isEmpty()) {
            LOG.log(System.Logger.Level.INFO,
                    () -> "rollout " + repo + ": " + moving + (reissued.isEmpty() ? "" : ", re-signed " + reissued));
        }
    }

    /** Ids of the replicas, in topology order. */
    public List<String> replicas() {
        return replicas;
    }

    /** The replicas that take a new revision first. */
    public Set<String> canaries() {
        return canaries;
    }

    /** The rollouts with a canary revision in progress, by repository. */
    public synchronized Map<String, RepoRollout> inProgress() {
        Map<String, RepoRollout> running = new LinkedHashMap<>();
        repos.forEach((repo, rollout) -> {
            if (rollout.canary() != null) {
                running.put(repo, rollout);
            }
        });
        return running;
    }
}
