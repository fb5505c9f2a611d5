package yunjing.sync.serve;

import io.netty.handler.codec.http.HttpRequest;
import yunjing.sync.store.ArtifactStore;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Which artifact requests a replica node answers from its own verified store instead of through
 * its cache and parents: hub and byte-span requests for a revision the store holds, named by its
 * id, or by {@code main} once the store has one. A replica's {@code main} is its rollout target
 * ({@link yunjing.sync.rollout.ReplicaFollower}), so during a rollout a canary node serves the new
 * revision and the others the stable one.
 *
 * <p>Everything else passes on: other refs, revisions the node does not hold (yet, or any more),
 * malformed requests (the parent answers them the same way), every signed manifest, which the
 * origin alone speaks for (downstream replicas follow their own rollout refs through this node),
 * and the commit list, the origin's history rather than the few revisions a replica keeps.
 *
 * <p>Runs on the event loop: one {@code stat} of the store per artifact request, as nginx stats a
 * file per request without {@code open_file_cache}; other requests cost a prefix check.
 */
public final class LocalRevisions implements Predicate<HttpRequest> {

    private final ArtifactStore store;
    private final LongAdder claimed = new LongAdder();

    /** One per node: handlers of every connection share it. */
    public LocalRevisions(ArtifactStore store) {
        this.store = store;
    }

    /** Requests answered from the store so far. */
    public long claimed() {
        return claimed.sum();
    }

    @Override
    public boolean test(HttpRequest request) {
        if (!ArtifactRequest.matches(request.uri())) {
            return false;
        }
        ArtifactRequest parsed;
        try {
            parsed = ArtifactRequest.parse(request.uri());
        } catch (ServeException malformed) {
            return false;
        }
        if (parsed.kind() == ArtifactRequest.Kind.MANIFEST || parsed.kind() == ArtifactRequest.Kind.COMMITS
                || !ArtifactStore.isRepoName(parsed.repo())) {
            return false;
        }
        String revision = parsed.revision();
        boolean local = ArtifactRequest.DEFAULT_REVISION.equals(revision)
                ? store.hasRef(parsed.repo(), revision)
                : store.hasRevision(parsed.repo(), revision);
        if (local) {
            claimed.increment();
        }
        return local;
    }
}
