package yunjing.origin;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.common.net.EventLoops;
import yunjing.origin.api.ApiListener;
import yunjing.origin.api.ServedModel;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.TokenListener;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.jni.EngineSelector;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.sched.Scheduler;
import yunjing.origin.sched.SchedulerConfig;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * {@link #reload} hot-swaps one model to a new checkpoint while the old one serves.
 *
 * <p>Each model has a {@link Scheduler}: one thread that runs its generations with continuous batching, priorities
 * and admission control. Tokenizing and submitting runs on {@code inferenceThreads} dedicated threads, never on
 * the event loops, behind a bounded queue ({@value #QUEUE_PER_THREAD} per thread; past that, 503).
 */
public final class OriginServer implements AutoCloseable {

    static final int QUEUE_PER_THREAD = 64;
    private static final long RETIRE_POLL_MILLIS = 20;
    private static final System.Logger LOG = System.getLogger(OriginServer.class.getName());

    private final ApiListener listener;
    private final ExecutorService inference;
    private final String nodeId;
    private final SchedulerConfig schedulerConfig;
    private final MeterRegistry metrics;
    /** The engine behind each model served now, by model id. */
    private final Map<String, InferenceEngine> engines;
    /** Models swapped out that still finish their requests; closed once empty (or with the server). */
    private final Set<RetiringModel> retiring = ConcurrentHashMap.newKeySet();
    private final Object swapLock = new Object();
    private final AtomicBoolean open = new AtomicBoolean(true);
    private volatile boolean draining;
    private volatile String loading;

    private OriginServer(ApiListener listener, ExecutorService inference, OriginConfig config, MeterRegistry metrics,
            Map<String, InferenceEngine> engines) {
        this.listener = listener;
        this.inference = inference;
        this.nodeId = config.nodeId();
        this.schedulerConfig = config.scheduler();
        this.metrics = metrics;
        this.engines = new ConcurrentHashMap<>(engines);
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
            Map<String, InferenceEngine> byModel = new HashMap<>();
            for (int i = 0; i < engines.size(); i++) {
                byModel.put(config.models().get(i).servedName(), engines.get(i));
            }
            return new OriginServer(listener, inference, config, metrics, byModel);
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
     * What a hot swap is doing now, e.g. {@code "loading tiny-llama revision r2"}, or null when none is: the node
     * stays ready meanwhile, since the old revision serves until the new one is warm.
     */
    public String swapInProgress() {
        return loading;
    }

    /** The revision each model is served at now (null where unknown), by model id, in listing order. */
    public Map<String, String> revisions() {
        Map<String, String> out = new LinkedHashMap<>();
        listener.models().values().forEach(m -> out.put(m.id(), m.revision()));
        return out;
    }

    /**
     * Hot-swaps model {@code spec.servedName()} to the checkpoint in {@code spec.directory()}: loads it and its
     * engine on the calling thread (never an event loop), warms it with one short generation, starts its
     * scheduler, then serves it in place of the old one in one atomic step. The old one finishes its queued and
     * running requests (streams included) and is closed, engine and all, once empty. Reloads run one at a time.
     *
     * @throws ModelLoadException when the new checkpoint is missing or malformed; the old one keeps serving
     * @throws IllegalArgumentException when no model of that name is served here
     * @throws IllegalStateException when the server is draining or closed
     */
    public void reload(ModelSpec spec) throws ModelLoadException {
        synchronized (swapLock) {
            ServedModel old = listener.models().get(spec.servedName());
            if (old == null) {
                throw new IllegalArgumentException("reload: no model '" + spec.servedName() + "' is served by origin "
                        + nodeId + " (expected one of " + listener.models().values().stream().map(ServedModel::id)
                        .toList() + ")");
            }
            requireOpen();
            loading = "loading " + spec.servedName() + " revision " + spec.revision();
            try {
                swap(spec, old);
            } finally {
                loading = null;
            }
        }
    }

    private void swap(ModelSpec spec, ServedModel old) throws ModelLoadException {
        long t0 = System.nanoTime();
        Checkpoint cp = Checkpoint.load(spec.directory());
        EngineSelector.Selection engine = EngineSelector.select(cp);
        Generator generator = new Generator(engine.engine(), cp.tokenizer(), cp.eosTokenIds());
        Scheduler scheduler;
        try {
            warm(generator);
            requireOpen();
            scheduler = Scheduler.start(spec.servedName(), generator, schedulerConfig, metrics);
        } catch (RuntimeException | Error e) {
            closeEngines(List.of(engine.engine()));
            throw e;
        }
        ServedModel next = new ServedModel(spec.servedName(), spec.revision(), old.created(), cp.chatFormat(),
                scheduler, cp.config().maxPositionEmbeddings(), spec.images());
        RetiringModel previous = new RetiringModel(old.scheduler(), engines.put(spec.servedName(), engine.engine()));
        retiring.add(previous);
        listener.models().replace(next);
        // From here new requests reach the new scheduler; one that picked the old model just before retries there.
        old.scheduler().drain();
        Thread.ofPlatform().daemon().name("origin-" + nodeId + "-retire-" + spec.servedName())
                .start(() -> retire(previous));
        LOG.log(System.Logger.Level.INFO, () -> "origin " + nodeId + ": swapped " + spec.servedName() + " from revision "
                + old.revision() + " to " + spec.revision() + " (" + spec.directory() + ") in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms (engine: " + engine.name() + ")");
        if (!open.get()) {
            closeRetiring(); // close() ran meanwhile and may have missed what was just added
        }
    }

    /** One short greedy generation, so the first client request does not pay for lazy initialisation. */
    private static void warm(Generator generator) {
        generator.generate(new GenerationRequest(new int[] {0}, 2, 0, 1, OptionalLong.empty(), List.of(), true),
                new TokenListener() {
                    @Override
                    public void onToken(String text) {
                        // the answer does not matter
                    }

                    @Override
                    public boolean cancelled() {
                        return false;
                    }
                });
    }

    private void requireOpen() {
        if (!open.get() || draining) {
            throw new IllegalStateException("reload: origin " + nodeId + " is draining or closed");
        }
    }

    /** Waits (off every other thread) until the swapped-out scheduler has nothing left, then closes it. */
    private void retire(RetiringModel model) {
        while (open.get() && !model.idle()) {
            try {
                Thread.sleep(RETIRE_POLL_MILLIS);
            } catch (InterruptedException e) {
                break;
            }
        }
        if (retiring.remove(model)) {
            model.close();
        }
    }

    /** Swapped-out models not yet closed (still finishing requests). */
    int retiringModels() {
        return retiring.size();
    }

    private void closeRetiring() {
        for (RetiringModel model : List.copyOf(retiring)) {
            if (retiring.remove(model)) {
                model.close();
            }
        }
    }

    /** A swapped-out model: its scheduler drains, then it and its engine close. */
    private record RetiringModel(Scheduler scheduler, InferenceEngine engine) {
        boolean idle() {
            return scheduler.isDrainedAndEmpty();
        }

        void close() {
            scheduler.close();
            closeEngines(engine == null ? List.of() : List.of(engine));
        }
    }

    /**
     * Stops taking new completions — they get 503 with {@code Retry-After} — while queued and running ones
     * finish; {@link #isReady()} turns false so health checks steer traffic away. Then {@link #close()}.
     */
    public void drain() {
        draining = true;
        listener.models().values().forEach(m -> m.scheduler().drain());
    }

    /** Closes the listener and in-flight connections and stops the inference and scheduler threads; idempotent. */
    @Override
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        listener.models().values().forEach(m -> m.scheduler().drain());
        listener.close();
        // Closed channels cancel their generations at the next step; close() ends whatever is left.
        listener.models().values().forEach(m -> m.scheduler().close());
        closeRetiring();
        // Closed channels already cancel their generations between tokens; the interrupt covers queued work.
        inference.shutdownNow();
        try {
            if (!inference.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "origin: inference threads still running 5 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (swapLock) { // a swap that was loading finishes first; what it started closes here
            listener.models().values().forEach(m -> m.scheduler().close());
            closeRetiring();
            closeEngines(List.copyOf(engines.values()));
        }
    }
}
