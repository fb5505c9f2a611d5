package yunjing.deploy.run;

import yunjing.deploy.topology.ModelRef;
import yunjing.deploy.topology.Node;
import yunjing.origin.ModelLoadException;
import yunjing.origin.ModelSpec;
import yunjing.origin.OriginServer;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hot-swaps an origin's models when sync (or {@code yunjing model publish}) activates a new revision: every two
 * seconds it resolves each model's ref in the artifact store, and when the ref names another revision it verifies
 * that revision's files and calls {@link OriginServer#reload}, which loads and warms it while the old one serves.
 * A revision that fails to verify or load is logged, the old one keeps serving, and it is not retried until the
 * ref moves again. Polling, like {@link KeyReloader}: a ref moves by rename, and a timer thread keeps the loading
 * off the event loops.
 */
final class ModelReloader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ModelReloader.class.getName());

    private final ArtifactStore store;
    private final OriginServer origin;
    private final List<ModelRef> models;
    /** Per model name: the revision id served, or the last one tried (served or refused). */
    private final Map<String, String> seen = new HashMap<>();
    private final PollingTimer timer;

    /** {@code served}: the specs the origin started with, whose revisions are the ones served now. */
    ModelReloader(ArtifactStore store, OriginServer origin, Node node, List<ModelSpec> served, long periodMillis) {
        this(store, origin, node.id(), node.models(), served, periodMillis);
    }

    ModelReloader(ArtifactStore store, OriginServer origin, String nodeId, List<ModelRef> models,
                  List<ModelSpec> served, long periodMillis) {
        this.store = store;
        this.origin = origin;
        this.models = List.copyOf(models);
        served.forEach(spec -> seen.put(spec.servedName(), spec.revision()));
        this.timer = new PollingTimer("yunjing-model-reload-" + nodeId, periodMillis, this::check);
    }

    /** One look at every model's ref; runs on the timer thread (tests call it directly). */
    synchronized void check() {
        for (ModelRef model : models) {
            try {
                if (!store.hasRef(model.repo(), model.ref())) {
                    continue;
                }
                String id = store.revisionId(model.repo(), model.ref());
                if (id.equals(seen.get(model.name()))) {
                    continue;
                }
                seen.put(model.name(), id); // tried once per move of the ref, whatever the outcome
                reload(model);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "model " + model.name() + ": checking " + model.repo() + "@" + model.ref()
                        + " failed: " + e.getMessage(), e);
            }
        }
    }

    private void reload(ModelRef model) throws IOException {
        Revision revision = store.resolve(model.repo(), model.ref());
        List<String> problems = revision.verify(false);
        if (!problems.isEmpty()) {
            LOG.log(Level.WARNING, "model {0}: revision {1} not loaded, the old one keeps serving: {2}",
                    new Object[]{model.name(), revision.id(), problems.get(0)});
            return;
        }
        try {
            origin.reload(new ModelSpec(model.name(), revision.directory(), revision.id(), model.images()));
            LOG.log(Level.INFO, "model {0}: now serving revision {1}", new Object[]{model.name(), revision.id()});
        } catch (ModelLoadException e) {
            LOG.log(Level.WARNING, "model {0}: revision {1} failed to load, the old one keeps serving: {2}",
                    new Object[]{model.name(), revision.id(), e.getMessage()});
        }
    }

    @Override
    public void close() {
        timer.closeAndAwait(30); // a reload in progress finishes before the origin closes
    }
}
