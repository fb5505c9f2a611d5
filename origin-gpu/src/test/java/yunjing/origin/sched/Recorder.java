package yunjing.origin.sched;

import yunjing.origin.engine.GenerationResult;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link SequenceListener} that records what the scheduler tells it; {@link #cancel()} plays a client leaving. */
final class Recorder implements SequenceListener {

    /** Shared across recorders of one test: the order in which sequences produced their first token. */
    private final List<Recorder> firstTokens;
    final String name;
    final StringBuilder text = new StringBuilder();
    final AtomicInteger tokens = new AtomicInteger();
    volatile boolean cancelled;
    volatile boolean writable = true;
    volatile GenerationResult result;
    volatile Exception failure;

    Recorder(String name, List<Recorder> firstTokens) {
        this.name = name;
        this.firstTokens = firstTokens;
    }

    Recorder(String name) {
        this(name, new CopyOnWriteArrayList<>());
    }

    @Override
    public void onToken(String delta) {
        if (tokens.getAndIncrement() == 0) {
            firstTokens.add(this);
        }
        text.append(delta);
    }

    @Override
    public boolean cancelled() {
        return cancelled;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    void cancel() {
        cancelled = true;
    }

    @Override
    public void completed(GenerationResult r) {
        if (result != null || failure != null) {
            throw new AssertionError(name + ": told twice");
        }
        result = r;
    }

    @Override
    public void failed(Exception cause) {
        if (result != null || failure != null) {
            throw new AssertionError(name + ": told twice");
        }
        failure = cause;
    }

    boolean done() {
        return result != null || failure != null;
    }

    @Override
    public String toString() {
        return name;
    }
}
