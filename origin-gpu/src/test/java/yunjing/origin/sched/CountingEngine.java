package yunjing.origin.sched;

import yunjing.origin.engine.DeviceMemory;
import yunjing.origin.engine.InferenceEngine;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** Delegates to a real engine and records the size of every batched {@link #step} call. */
final class CountingEngine implements InferenceEngine {

    private final InferenceEngine delegate;
    final List<Integer> stepSizes = new CopyOnWriteArrayList<>();

    CountingEngine(InferenceEngine delegate) {
        this.delegate = delegate;
    }

    @Override
    public int contextLength() {
        return delegate.contextLength();
    }

    @Override
    public int vocabSize() {
        return delegate.vocabSize();
    }

    @Override
    public Sequence newSequence(int capacity) {
        return delegate.newSequence(capacity);
    }

    @Override
    public float[][] step(List<? extends Sequence> sequences, int[] tokens) {
        stepSizes.add(sequences.size());
        return delegate.step(sequences, tokens);
    }

    @Override
    public boolean supportsFork() {
        return delegate.supportsFork();
    }

    @Override
    public Sequence fork(Sequence source, int length, int capacity) {
        return delegate.fork(source, length, capacity);
    }

    @Override
    public Optional<DeviceMemory> deviceMemory() {
        return delegate.deviceMemory();
    }
}
