package yunjing.origin;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.common.net.EventLoops;
import yunjing.origin.api.ApiListener;
import yunjing.origin.api.ServedModel;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.jni.EngineSelector;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.sched.Scheduler;

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
 * <p>Each model has a {@link Scheduler}: one thread that runs its generations with continuous batching, priorities
 * and admission control. Tokenizing and submitting runs on {@code inferenceThreads} dedicated threads, never on
 * the event loops, behind a bounded queue ({@value #QUEUE_PER_THREAD} per thread; past that, 503).
 */
public final class OriginServer implements AutoCloseable {

    static final int QUEUE_PER_THREAD = 64;
    private static final System.Logger LOG = System.getLogger(OriginServer.class.getName());

    private final ApiListener listener;
    private final ExecutorService inference;
    private final List<Scheduler> schedulers;
    private final List<InferenceEngine> engines;
    private final AtomicBoolean open = new AtomicBoolean(true);
    private volatile boolean draining;

    private OriginServer(ApiListener listener, ExecutorService inference, List<Scheduler> schedulers,
            List<InferenceEngine> engines) {
        this.listener = listener;
        this.inference = inference;
        this.schedulers = schedulers;
        this.engines = engines;
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
        List<Checkpoint> checkpoints = new ArrayList<>();
        List<InferenceEngine> engines = new ArrayList<>();
        try {
            for (ModelSpec spec : config.models()) {
                long t0 = System.nanoTime();
                Checkpoint cp = Checkpoint.load(spec.directory());
                EngineSelector.Selection engine = EngineSelector.select(cp);
                checkpoints.add(cp);
                engines.add(engine.engine());
                LOG.log(System.Logger.Level.INFO, () -> "origin " + config.nodeId() + ": loaded " + spec.servedName()
                        + " from " + spec.directory() + " in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                        + " ms (engine: " + engine.name() + ", " + engine.reason() + ")");
            }
        } catch (ModelLoadException | RuntimeException e) {
            closeEngines(engines); // the models loaded before the one that failed
            throw e;
        }
        List<ServedModel> served = new ArrayList<>();
        List<Scheduler> schedulers = new ArrayList<>();
        for (int i = 0; i < checkpoints.size(); i++) {
            ModelSpec spec = config.models().get(i);
            Checkpoint cp = checkpoints.get(i);
            Generator generator = new Generator(engines.get(i), cp.tokenizer(), cp.eosTokenIds());
            Scheduler scheduler = Scheduler.start(spec.servedName(), generator, config.scheduler(), metrics);
            schedulers.add(scheduler);
            served.add(new ServedModel(spec.servedName(), spec.revision(), created, cp.chatFormat(), scheduler,
                    cp.config().maxPositionEmbeddings(), spec.images()));
        }
        ExecutorService inference = inferenceExecutor(config.nodeId(), config.inferenceThreads());
        try {
            ApiListener listener = ApiListener.bind(config.nodeId(), config.httpBind(), loops, served, inference,
                    metrics, config.frontHandler());
            return new OriginServer(listener, inference, List.copyOf(schedulers), List.copyOf(engines));
        } catch (BindException e) {
            stop(inference, schedulers, engines);
            throw new UncheckedIOException("origin " + config.nodeId() + ": " + e.getMessage(), e);
        } catch (InterruptedException | RuntimeException e) {
            stop(inference, schedulers, engines);
            throw e;
        }
    }

    private static void stop(ExecutorService inference, List<Scheduler> schedulers, List<InferenceEngine> engines) {
        inference.shutdownNow();
        schedulers.forEach(Scheduler::close);
        closeEngines(engines);
    }

    /** Native engines hold weights and caches off-heap: free them once no scheduler can use them. */
    private static void closeEngines(List<InferenceEngine> engines) {
        for (InferenceEngine engine : engines) {
            if (engine instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.WARNING, "origin: closing an engine failed", e);
                }
            }
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

    /** True once models are loaded and the port listens; false once draining and after {@link #close()}. */
    public boolean isReady() {
        return open.get() && !draining;
    }

    /**
     * Stops taking new completions — they get 503 with {@code Retry-After} — while queued and running ones
     * finish; {@link #isReady()} turns false so health checks steer traffic away. Then {@link #close()}.
     */
    public void drain() {
        draining = true;
        schedulers.forEach(Scheduler::drain);
    }

    /** Closes the listener and in-flight connections and stops the inference and scheduler threads; idempotent. */
    @Override
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        schedulers.forEach(Scheduler::drain);
        listener.close();
        // Closed channels cancel their generations at the next step; close() ends whatever is left.
        schedulers.forEach(Scheduler::close);
        // Closed channels already cancel their generations between tokens; the interrupt covers queued work.
        inference.shutdownNow();
        try {
            if (!inference.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "origin: inference threads still running 5 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeEngines(engines);
    }
}
