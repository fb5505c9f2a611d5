package yunjing.deploy.run;

import yunjing.origin.model.TestModelGenerator;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Path;

/** Model operations behind {@code yunjing model}: generate the test model, publish directories. */
public final class ModelTool {
    private ModelTool() {
    }

    /** The test model, its weights in {@code shards} safetensors files (more than one: with an index). */
    public static void generate(Path dir, long seed, int shards) throws IOException {
        TestModelGenerator.generate(dir, seed, TestModelGenerator.Shape.PRESET, shards);
    }

    public static Revision generateAndPublish(StateDir state, String repo, long seed, int shards) throws IOException {
        return ModelPreparer.publishTestModel(signedStore(state), repo, "main", seed, shards);
    }

    public static Revision publish(StateDir state, String repo, String ref, Path source) throws IOException {
        return signedStore(state).publish(repo, ref, source);
    }

    /** The origin's store, signing with the state directory's manifest key, so that replicas accept what is published. */
    private static ArtifactStore signedStore(StateDir state) throws IOException {
        return ArtifactStore.builder(state.artifacts()).signer(ManifestKeys.stateSigner(state)).build();
    }
}
