package yunjing.origin.sched;

import yunjing.origin.engine.FinishReason;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.GenerationState;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.InferenceEngine;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Continuous batching (Orca, vLLM): the running batch is re-formed between steps, so a new request starts on the
 * next step instead of waiting for the batch to finish. One {@link #step} does, in order:
 * <ol>
 *   <li><b>sweep</b>: sequences whose client is gone leave, freeing their blocks; ones past their deadline are
 *       cut short (running) or refused (waiting);</li>
 *   <li><b>admit</b>: while the batch has room, the best waiting request (priority with aging, {@link
 *       WaitingQueue}) joins, if the block pool can hold its prompt; a cached prefix is forked instead of
 *       prefilled ({@link PrefixCache});</li>
 *   <li><b>prefill</b>: at most {@code prefillChunkTokens} prompt tokens, oldest admission first, so a long
 *       prompt takes several steps and never stalls the streams already running (chunked prefill); a sequence
 *       whose prompt is complete samples its first token;</li>
 *   <li><b>decode</b>: every decoding sequence whose client can take more gets the block for its next position
 *       (evicting cached prefixes, else preempting the lowest-priority, newest sequence), then <em>one</em>
 *       {@link InferenceEngine#step} call advances them all and each samples its next token.</li>
 * </ol>
 * Sampling, stop strings and text decoding are the {@link GenerationState} the one-sequence {@link Generator}
 * uses, so each sequence's output is exactly what it would get alone.
 *
 * <p>Threading: {@link #submit} may be called from any thread; everything else runs on the one scheduler thread,
 * which owns {@link #running}, the engine sequences, the pool and the prefix cache.
 */
final class BatchScheduler {

    private static final System.Logger LOG = System.getLogger(BatchScheduler.class.getName());
    private static final long NOT_ACCEPTING_RETRY_SECONDS = 5;

    private final Generator generator;
    private final InferenceEngine engine;
    private final SchedulerConfig config;
    private final LongSupplier clock;
    private final SchedulerMetrics metrics;
    final BlockPool pool;
    final WaitingQueue waiting;
    /** Null when prefix reuse is off or the engine cannot fork. */
    final PrefixCache prefixCache;
    final StepRate rate = new StepRate();
    /** In admission order. */
    private final List<ScheduledSequence> running = new ArrayList<>();
    private final AtomicLong orders = new AtomicLong();
    private volatile int runningCount;
    private volatile int stepsUntilASlotFrees;
    private volatile boolean accepting = true;

    BatchScheduler(Generator generator, SchedulerConfig config, LongSupplier clock, SchedulerMetrics metrics) {
        this.generator = generator;
        this.engine = generator.engine();
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.pool = new BlockPool(config.kvBlocks());
        this.waiting = new WaitingQueue(config.agingPerSecond());
        this.prefixCache = config.prefixCacheBlocks() > 0 && engine.supportsFork()
                ? new PrefixCache(engine, pool, config.kvBlockSize(), config.prefixCacheBlocks()) : null;
        metrics.gauge("sequences.running", "Sequences in the running batch", () -> runningCount);
        metrics.gauge("sequences.waiting", "Requests waiting for the running batch", waiting::size);
        metrics.gauge("kv.blocks.used", "KV cache blocks held by sequences and the prefix cache", pool::used);
        metrics.gauge("kv.blocks.total", "KV cache blocks in the pool", pool::total);
        metrics.gauge("prefix.cache.blocks", "KV cache blocks kept for prefix reuse",
                () -> prefixCache == null ? 0 : prefixCache.blocks());
        metrics.gauge("tokens.per.second", "Prefill and decode tokens per second of step time (moving average)",
                () -> Double.isNaN(rate.tokensPerSecond()) ? 0 : rate.tokensPerSecond());
        metrics.gauge("prefix.cache.hit.rate", "Prompt tokens found in the prefix cache / looked up",
                metrics::prefixHitRate);
        engine.deviceMemory().ifPresent(memory -> {
            metrics.gauge("gpu.memory.used", "Bytes in use on the GPU the engine runs on", memory::usedBytes);
            metrics.gauge("gpu.memory.total", "Bytes of memory of the GPU the engine runs on", memory::totalBytes);
        });
    }

    /**
     * Queues a generation, or refuses it: too large for the pool (400), not accepting (503), queue at its hard
     * cap (503), or an estimated wait beyond the queue budget (429).
     */
    void submit(GenerationRequest request, SequenceListener listener, int priority) throws RejectedException {
        int prompt = request.promptTokens().length;
        if (prompt + request.maxTokens() > engine.contextLength()) {
            throw new IllegalArgumentException("prompt " + prompt + " + maxTokens " + request.maxTokens()
                    + " exceeds the context length " + engine.contextLength());
        }
        int blocks = config.blocksFor(prompt + request.maxTokens() - 1);
        if (blocks > pool.total()) {
            throw reject(RejectedException.Reason.TOO_LARGE, 0, "The request needs " + blocks
                    + " KV cache blocks of " + config.kvBlockSize() + " tokens; the origin has " + pool.total()
                    + ". Send a shorter prompt or a smaller max_tokens.");
        }
        long now = clock.getAsLong();
        synchronized (waiting) { // one decision per request: the size and estimate cannot change under it
            if (!accepting) {
                throw reject(RejectedException.Reason.NOT_ACCEPTING, NOT_ACCEPTING_RETRY_SECONDS,
                        "The origin is not accepting requests (starting, draining or closing); retry later.");
            }
            double wait = estimatedWaitSeconds(priority, now);
            if (waiting.size() >= config.maxWaiting()) {
                throw reject(RejectedException.Reason.QUEUE_FULL, retryAfter(wait),
                        "The origin's queue is full (" + config.maxWaiting() + " requests); retry later.");
            }
            double budget = config.queueBudget().toNanos() / 1e9;
            if (wait > budget) {
                throw reject(RejectedException.Reason.QUEUE_BUDGET, retryAfter(wait - budget), String.format(
                        "The origin is busy: the estimated queue wait of %.1f s exceeds its budget of %.1f s; "
                                + "retry later.", wait, budget));
            }
            waiting.add(new ScheduledSequence(generator.newState(request, listener), listener, priority,
                    orders.incrementAndGet(), now, now + config.deadline().toNanos()));
        }
    }

    /**
     * Expected seconds before a request of {@code priority} would be admitted: the work queued ahead of it at the
     * measured token rate, plus, when the batch is full, the steps until the nearest running sequence ends. Zero
     * until a step has been measured.
     */
    double estimatedWaitSeconds(int priority, long nowNanos) {
        double tokensPerSecond = rate.tokensPerSecond();
        if (Double.isNaN(tokensPerSecond)) {
            return 0;
        }
        double wait = waiting.workAhead(priority, nowNanos) / tokensPerSecond;
        if (runningCount >= config.maxBatch()) {
            wait += stepsUntilASlotFrees * rate.secondsPerStep();
        }
        return wait;
    }

    private static long retryAfter(double seconds) {
        return Math.max(1, (long) Math.ceil(seconds));
    }

    private RejectedException reject(RejectedException.Reason reason, long retryAfter, String message) {
        metrics.rejected(reason);
        return new RejectedException(reason, retryAfter, message);
    }

    /** False once drained: no request can join the queue any more. */
    boolean accepting() {
        return accepting;
    }

    /** Refuse new requests from now on; queued and running ones carry on. */
    void drain() {
        synchronized (waiting) {
            accepting = false;
        }
    }

    boolean idle() {
        return running.isEmpty() && waiting.size() == 0;
    }

    /** One scheduling iteration; true when it ran any tokens through the engine. */
    boolean step() {
        long start = System.nanoTime();
        long now = clock.getAsLong();
        sweep(now);
        admit();
        int tokens = prefill() + decode();
        rate.record(tokens, System.nanoTime() - start);
        publish();
        return tokens > 0;
    }

    private void sweep(long now) {
        for (ScheduledSequence s : List.copyOf(running)) {
            if (s.listener.cancelled()) {
                end(s, FinishReason.CANCELLED);
            } else if (now - s.deadlineNanos > 0) {
                end(s, FinishReason.DEADLINE);
            }
        }
        for (ScheduledSequence s : waiting.removeIf(s -> s.listener.cancelled() || now - s.deadlineNanos > 0)) {
            if (s.listener.cancelled()) {
                notifyCompleted(s, FinishReason.CANCELLED);
            } else if (s.admittedOnce) {
                notifyCompleted(s, FinishReason.DEADLINE); // preempted after streaming: cut it short
            } else {
                metrics.rejected(RejectedException.Reason.DEADLINE);
                notifyFailed(s, new RejectedException(RejectedException.Reason.DEADLINE,
                        retryAfter(estimatedWaitSeconds(s.priority, now)), "The request waited in the queue past "
                        + "its deadline of " + config.deadline().toSeconds() + " s; retry later."));
            }
        }
    }

    private void admit() {
        while (running.size() < config.maxBatch()) {
            ScheduledSequence s = waiting.peek();
            if (s == null) {
                return;
            }
            PrefixCache.Hit hit = prefixCache == null ? null : prefixCache.lookup(s.tokens, s.length);
            int need = config.blocksFor(s.length);
            // Headroom of one block per running sequence, which may each need a new block on the next step.
            if (!makeRoom(need + running.size(), hit == null ? null : hit.entry())) {
                if (hit == null || !makeRoom(need + running.size(), null)) {
                    return; // admission waits for free blocks, in priority order
                }
                hit = null; // only evicting the prefix it would have reused made room: prefill it instead
            }
            waiting.remove(s);
            pool.tryAllocate(need);
            s.blocks = need;
            try {
                s.kv = hit == null ? engine.newSequence(s.capacity)
                        : engine.fork(hit.entry().kv, hit.tokens(), s.capacity);
            } catch (RuntimeException e) {
                fail(s, e);
                continue;
            }
            if (!s.admittedOnce) {
                s.admittedOnce = true;
                // Read the clock again: the request may have arrived after this step began.
                metrics.queued(Math.max(0, clock.getAsLong() - s.enqueuedNanos));
                metrics.prefixLookup(s.length, hit == null ? 0 : hit.tokens());
            }
            running.add(s);
        }
    }

    private boolean makeRoom(int blocks, PrefixCache.Entry keep) {
        return pool.free() >= blocks || (prefixCache != null && prefixCache.makeRoom(blocks, keep));
    }

    private int prefill() {
        int budget = config.prefillChunkTokens();
        int done = 0;
        for (ScheduledSequence s : List.copyOf(running)) {
            if (budget == 0) {
                break;
            }
            if (!s.prefilling()) {
                continue;
            }
            int from = s.kv.length();
            int n = Math.min(budget, s.length - from);
            float[] logits;
            try {
                logits = s.kv.prefill(Arrays.copyOfRange(s.tokens, from, from + n));
            } catch (RuntimeException e) {
                fail(s, e);
                continue;
            }
            budget -= n;
            done += n;
            metrics.prefilled(n);
            // A preempted sequence already sampled the token after these; a new one samples its first now.
            if (!s.prefilling() && s.pending == ScheduledSequence.NONE) {
                emit(s, logits);
            }
        }
        return done;
    }

    private int decode() {
        List<ScheduledSequence> ready = new ArrayList<>();
        for (ScheduledSequence s : running) {
            if (!s.prefilling() && s.pending != ScheduledSequence.NONE && s.listener.writable()) {
                ready.add(s);
            }
        }
        ready.sort(byRank());
        List<ScheduledSequence> batch = new ArrayList<>(ready.size());
        for (ScheduledSequence s : ready) {
            if (s.kv == null) {
                continue; // preempted for a better sequence earlier in this loop
            }
            int need = config.blocksFor(s.length + 1) - s.blocks;
            // Victims rank below s (lowest priority, newest), so none of them is already in the batch.
            while (need > 0 && !makeRoom(need, null) && s.kv != null) {
                preempt(running.stream().max(byRank()).orElseThrow());
            }
            if (s.kv == null) {
                continue;
            }
            pool.tryAllocate(Math.max(0, need));
            s.blocks += Math.max(0, need);
            batch.add(s);
        }
        if (batch.isEmpty()) {
            return 0;
        }
        int[] tokens = new int[batch.size()];
        List<InferenceEngine.Sequence> kvs = new ArrayList<>(batch.size());
        for (int i = 0; i < tokens.length; i++) {
            ScheduledSequence s = batch.get(i);
            tokens[i] = s.pending;
            s.tokens[s.length++] = s.pending;
            s.pending = ScheduledSequence.NONE;
            kvs.add(s.kv);
        }
        float[][] logits;
        try {
            logits = engine.step(kvs, tokens);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "engine step over " + tokens.length + " sequences failed", e);
            batch.forEach(s -> fail(s, e));
            return tokens.length;
        }
        for (int i = 0; i < tokens.length; i++) {
            emit(batch.get(i), logits[i]);
        }
        return tokens.length;
    }

    /** Best first: higher priority, then earlier submission. */
    private static Comparator<ScheduledSequence> byRank() {
        return Comparator.comparingInt((ScheduledSequence s) -> -s.priority).thenComparingLong(s -> s.order);
    }

    /** Samples the token after {@code logits} for {@code s}: streams its text, then keeps it pending or ends. */
    private void emit(ScheduledSequence s, float[] logits) {
        int token;
        try {
            token = s.state.advance(logits);
        } catch (RuntimeException e) {
            fail(s, e); // a listener that could not write
            return;
        }
        long now = System.nanoTime();
        if (s.lastTokenNanos != 0) {
            metrics.interToken(now - s.lastTokenNanos);
        }
        s.lastTokenNanos = now;
        if (token == GenerationState.FINISHED) {
            retire(s);
            notifyCompleted(s, null);
        } else {
            s.pending = token;
        }
    }

    private void end(ScheduledSequence s, FinishReason reason) {
        retire(s);
        notifyCompleted(s, reason);
    }

    /** Leaves the batch; its full blocks go to the prefix cache, the rest back to the pool. */
    private void retire(ScheduledSequence s) {
        running.remove(s);
        int release = s.blocks;
        if (prefixCache != null && s.kv != null) {
            release = prefixCache.offer(s.kv, s.tokens, s.blocks);
        }
        pool.release(release);
        s.blocks = 0;
        dropKv(s);
    }

    /** Frees the sequence's key/value cache now (native engines hold it off-heap); the prefix cache kept a copy. */
    private static void dropKv(ScheduledSequence s) {
        if (s.kv != null) {
            s.kv.close();
            s.kv = null;
        }
    }

    private void preempt(ScheduledSequence victim) {
        running.remove(victim);
        pool.release(victim.blocks);
        victim.blocks = 0;
        dropKv(victim);
        metrics.preempted();
        waiting.addPreempted(victim);
        LOG.log(Level.DEBUG, () -> "preempted a sequence of priority " + victim.priority + " for lack of KV blocks");
    }

    private void fail(ScheduledSequence s, Exception e) {
        if (running.remove(s)) {
            pool.release(s.blocks);
        } else if (s.blocks > 0) {
            pool.release(s.blocks); // failed while being admitted
        }
        s.blocks = 0;
        dropKv(s);
        notifyFailed(s, e);
    }

    private void notifyCompleted(ScheduledSequence s, FinishReason reason) {
        try {
            s.listener.completed(reason == null ? s.state.result() : s.state.end(reason));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a sequence listener failed on completion", e);
        }
    }

    private void notifyFailed(ScheduledSequence s, Exception cause) {
        try {
            s.listener.failed(cause);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a sequence listener failed on failure", e);
        }
    }

    /** What submitters read to estimate waits. */
    private void publish() {
        runningCount = running.size();
        int steps = Integer.MAX_VALUE;
        for (ScheduledSequence s : running) {
            int prefillSteps = (s.length - s.kv.length() + config.prefillChunkTokens() - 1)
                    / config.prefillChunkTokens();
            steps = Math.min(steps, prefillSteps + s.state.request().maxTokens() - s.state.generated());
        }
        stepsUntilASlotFrees = running.isEmpty() ? 0 : steps;
    }

    /** Ends everything (the server is closing): running and preempted ones cancelled, never-started ones refused. */
    void abort() {
        drain();
        for (ScheduledSequence s : List.copyOf(running)) {
            end(s, FinishReason.CANCELLED);
        }
        for (ScheduledSequence s : waiting.removeIf(s -> true)) {
            if (s.admittedOnce) {
                notifyCompleted(s, FinishReason.CANCELLED);
            } else {
                notifyFailed(s, new RejectedException(RejectedException.Reason.NOT_ACCEPTING,
                        NOT_ACCEPTING_RETRY_SECONDS, "The origin is closing; retry later."));
            }
        }
        if (prefixCache != null) {
            prefixCache.clear();
        }
        publish();
    }

    int runningCount() {
        return runningCount;
    }
}
