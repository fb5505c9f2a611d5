package yunjing.deploy.run;

import yunjing.deploy.topology.ModelRef;
import yunjing.deploy.topology.Node;
import yunjing.origin.ModelSpec;
import yunjing.origin.model.TestModelGenerator;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds each model an origin serves in the artifact store, checks that its files are all there
 * with the sizes the manifest records, and, for models the topology marks {@code generate},
 * writes the seeded test model first if the store has none.
 */
final class ModelPreparer {
    private final ArtifactStore store;

    ModelPreparer(ArtifactStore store) {
        this.store = store;
    }

    List<ModelSpec> prepare(Node origin) throws LaunchException {
        List<ModelSpec> specs = new ArrayList<>();
        for (ModelRef model : origin.models()) {
            String where = "node '" + origin.id() + "': model '" + model.name() + "': ";
            try {
                if (model.generateSeed() != null && !store.hasRef(model.repo(), model.ref())) {
                    publishTestModel(store, model.repo(), model.ref(), model.generateSeed());
                }
                if (!store.hasRef(model.repo(), model.ref())) {
                    throw new LaunchException(where + "repository '" + model.repo() + "' has no ref '" + model.ref()
                            + "' in " + store.root() + " (publish one: yunjing model publish --repo " + model.repo() + " DIR)");
                }
                Revision revision = store.resolve(model.repo(), model.ref());
                List<String> problems = revision.verify(false);
                if (!problems.isEmpty()) {
                    throw new LaunchException(where + problems.get(0));
                }
                specs.add(new ModelSpec(model.name(), revision.directory(), revision.id(), model.images()));
            } catch (IOException e) {
                throw new LaunchException(where + e.getMessage(), e);
            }
        }
        return specs;
    }

    /** Generates the seeded test model and publishes it as {@code repo@ref}. */
    static Revision publishTestModel(ArtifactStore store, String repo, String ref, long seed) throws IOException {
        return publishTestModel(store, repo, ref, seed, 1);
    }

    static Revision publishTestModel(ArtifactStore store, String repo, String ref, long seed, int shards)
            throws IOException {
        Path temp = Files.createTempDirectory("yunjing-model-");
        try {
            TestModelGenerator.generate(temp, seed, TestModelGenerator.Shape.PRESET, shards);
            return store.publish(repo, ref, temp);
        } finally {
            try (var files = Files.walk(temp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
