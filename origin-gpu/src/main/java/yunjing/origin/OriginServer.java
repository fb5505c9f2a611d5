package yunjing.origin;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.common.net.EventLoops;
import yunjing.origin.api.ApiListener;
import yunjing.origin.api.ServedModel;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.model.Checkpoint;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The inference origin: loads the configured models, then serves the OpenAI-compatible API on one port
 * (HTTP/1.1 and h2c).
 *
 * <p>Lifecycle: {@link #start} returns it <em>ready</em> (models loaded, listening); {@link #close} makes it
 * <em>closed</em> (listener and connections closed, inference threads stopped). There is no state in between
 * that a caller can observe: a model that fails to load fails {@code start} before anything is bound.
 *
 * <p>Inference runs on {@code inferenceThreads} dedicated threads, never on the event loops; requests beyond
 * those wait in a bounded queue ({@value #QUEUE_PER_THREAD} per thread), and past that get 503. Continuous
 * batching and priorities belong to the scheduler that will replace this queue.
 */
public final class OriginServer implements AutoCloseable {

    static final int QUEUE_PER_THREAD = 64;
    private static final System.Logger LOG = System.getLogger(OriginServer.class.getName());

    private final ApiListener listener;
    private final ExecutorService inference;
    private final AtomicBoolean open = new AtomicBoolean(true);

    private OriginServer(ApiListener listener, ExecutorService inference) {
        this.listener = listener;
        this.inference = inference;
    }

    /**
     * Loads every model (throws {@link ModelLoadException} before binding anything if a model is missing or
     * malformed), then binds {@code httpBind} (port 0 allowed).
     *
     * @throws UncheckedIOException caused by a {@link BindException} naming the address when it cannot be bound
     */
    public static OriginServer start(OriginConfig config, EventLoops loops, MeterRegistry metrics)
            throws ModelLoadException, InterruptedException {
        Set<String> names = new HashSet<>();
        for (ModelSpec spec : config.models()) {
            if (!names.add(spec.servedName())) {
                throw new IllegalArgumentException("models: served name '" + spec.servedName()
                        + "' appears twice (expected: unique names)");
            }
        }
        long created = TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis());
        List<ServedModel> served = new ArrayList<>();
        for (ModelSpec spec : config.models()) {
            long t0 = System.nanoTime();
            Checkpoint cp = Checkpoint.load(spec.directory());
            Generator generator = new Generator(new JavaReferenceEngine(cp.config(), cp.weights()),
                    cp.tokenizer(), cp.eosTokenIds());
            served.add(new ServedModel(spec.servedName(), spec.revision(), created, cp.chatFormat(), generator,
                    cp.config().maxPositionEmbeddings()));
            LOG.log(System.Logger.Level.INFO, () -> "origin " + config.nodeId() + ": loaded " + spec.servedName()
                    + " from " + spec.directory() + " in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                    + " ms (engine: java-reference)");
        }
        ExecutorService inference = inferenceExecutor(config.nodeId(), config.inferenceThreads());
        try {
            ApiListener listener = ApiListener.bind(config.nodeId(), config.httpBind(), loops, served, inference,
                    metrics, config.frontHandler());
            return new OriginServer(listener, inference);
        } catch (BindException e) {
            inference.shutdownNow();
            throw new UncheckedIOException("origin " + config.nodeId() + ": " + e.getMessage(), e);
        } catch (InterruptedException | RuntimeException e) {
            inference.shutdownNow();
            throw e;
        }
    }

    private static ExecutorService inferenceExecutor(String nodeId, int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "origin-" + nodeId + "-inference-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(threads * QUEUE_PER_THREAD), factory);
    }

    /** The address actually bound (the real port when {@code httpBind} asked for port 0). */
    public InetSocketAddress httpAddress() {
        return listener.address();
    }

    /** True once models are loaded and the port listens; false after {@link #close()}. */
    public boolean isReady() {
        return open.get();
    }

    /** Closes the listener and in-flight connections and stops the inference threads; idempotent. */
    @Override
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        listener.close();
        // Closed channels already cancel their generations between tokens; the interrupt covers queued work.
        inference.shutdownNow();
        try {
            if (!inference.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "origin: inference threads still running 5 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
