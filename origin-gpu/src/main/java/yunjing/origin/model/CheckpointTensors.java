package yunjing.origin.model;

import yunjing.origin.ModelLoadException;

import java.nio.file.Path;

/**
 * The tensors of a checkpoint directory by location rather than value: the same file, shape and dtype checks
 * {@link Checkpoint#load} applies, for engines that read the weights in place.
 */
public final class CheckpointTensors implements AutoCloseable {

    private final TensorSource source;

    private CheckpointTensors(TensorSource source) {
        this.source = source;
    }

    public static CheckpointTensors open(Path directory) throws ModelLoadException {
        return new CheckpointTensors(TensorSource.open(directory));
    }

    public boolean has(String name) {
        return source.has(name);
    }

    /** The tensor's location after checking it has exactly {@code shape} and a float dtype. */
    public TensorLocation locate(String name, long... shape) throws ModelLoadException {
        return source.locate(name, shape);
    }

    @Override
    public void close() {
        source.close();
    }
}
