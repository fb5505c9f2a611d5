package yunjing.dns.health;

import yunjing.dns.DnsTarget;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Probes every target's {@code /readyz} in rounds and publishes who is healthy.
 *
 * <p>Threading: one daemon thread ({@code yunjing-dns-health}) both schedules rounds and runs the
 * HTTP client's completions, so all probes of a round run concurrently without a thread each, and
 * all state writes are confined to that thread. Event loops only read {@link #isHealthy}, a volatile
 * field per target. A round starts {@code interval} after the previous one finished, so a slow round
 * never overlaps the next.
 *
 * <p>Draining ({@link #drain}) is an operator's decision, not a probe result: a draining target
 * leaves answers at once, whatever its probes say, until it is undrained.
 *
 * <p>A target that changed state (down, up, drained, undrained) makes the checker <em>unsettled</em>
 * ({@link #unsettled}) for {@code interval × successesToMarkUp}: answers get a short TTL then, so
 * resolvers follow the change quickly.
 *
 * <p>With a state file ({@link HealthStateFile}) the states and drains survive a restart: read in the
 * constructor, rewritten (temp file + rename) on the health thread after every change.
 *
 * <p>Lifecycle: new → running ({@link #start}) → closed ({@link #close}, idempotent, stops the thread).
 */
public final class HealthChecker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());

    private final List<DnsTarget> targets;
    private final Map<String, TargetState> states;
    private final Duration interval;
    private final ScheduledThreadPoolExecutor thread;
    private final HttpProbe probe;
    private final HealthStateFile stateFile; // null: state is not kept across restarts
    private final Set<String> draining = ConcurrentHashMap.newKeySet();
    /** Targets whose own /readyz says {@code "draining":true}; they come back when it stops saying so. */
    private final Set<String> selfDraining = ConcurrentHashMap.newKeySet();
    /**
     * Whether either set may hold a target: read per candidate per query, it spares the two set
     * lookups while nothing drains (the usual case). Set after an add, cleared only once both are empty.
     */
    private volatile boolean anyDraining;
    private final long unsettledNanos;
    private volatile long lastChangeNanos;
    private volatile boolean changedOnce;
    private volatile boolean firstRoundDone;
    private volatile boolean closed;
    private volatile long rounds;

    public HealthChecker(List<DnsTarget> targets, Duration interval, int failuresToMarkDown, Duration probeTimeout) {
        this(targets, interval, failuresToMarkDown, 1, probeTimeout, null);
    }

    /**
     * @param stateFile where states and drains are kept across restarts; null = not kept. A missing
     *                  file is an empty state; an unreadable or malformed one is logged and ignored.
     */
    public HealthChecker(List<DnsTarget> targets, Duration interval, int failuresToMarkDown, int successesToMarkUp,
            Duration probeTimeout, Path stateFile) {
        this.targets = List.copyOf(targets);
        this.interval = Objects.requireNonNull(interval, "interval");
        Map<String, TargetState> s = new LinkedHashMap<>();
        for (DnsTarget t : this.targets) {
            s.put(t.id(), new TargetState(failuresToMarkDown, successesToMarkUp));
        }
        this.states = Collections.unmodifiableMap(s);
        this.unsettledNanos = interval.toNanos() * successesToMarkUp;
        this.stateFile = stateFile == null ? null : new HealthStateFile(stateFile);
        if (this.stateFile != null) {
            this.stateFile.read().forEach((id, saved) -> {
                TargetState state = states.get(id);
                if (state != null) { // a target removed from the configuration is forgotten
                    state.restore(saved.down() ? TargetState.Status.DOWN : TargetState.Status.UP);
                    if (saved.draining()) {
                        draining.add(id);
                    }
                }
            });
            drainsChanged();
        }
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "yunjing-dns-health");
            t.setDaemon(true);
            return t;
        });
        this.thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.probe = new HttpProbe(thread, probeTimeout);
    }

    /** Runs the first round now; later rounds follow every {@code interval}. */
    public void start() {
        execute(this::round);
    }

    /**
     * Whether the target should get traffic: unknown (not probed yet) and up count as healthy;
     * down and draining do not.
     */
    public boolean isHealthy(String id) {
        TargetState state = states.get(id);
        return state != null && state.healthy() && !(anyDraining && isDraining(id));
    }

    /**
     * Takes a target out of answers at once ({@code true}) or lets it back ({@code false}).
     *
     * @return whether the state changed
     * @throws IllegalArgumentException for an unknown id
     */
    public boolean drain(String id, boolean drain) {
        if (!states.containsKey(id)) {
            throw new IllegalArgumentException("target: " + id + " (expected one of " + states.keySet() + ")");
        }
        boolean changed = drain ? draining.add(id) : draining.remove(id);
        drainsChanged();
        if (changed) {
            LOG.log(Level.INFO, "dns target {0} {1}", id, drain ? "draining" : "undrained");
            changed();
        }
        return changed;
    }

    /** One of the health states, for the state gauge. */
    public static final List<String> STATES = List.of("unknown", "up", "down", "draining");

    /** The target's state: {@code draining} when draining, else {@code unknown}, {@code up} or {@code down}. */
    public String stateOf(String id) {
        TargetState state = states.get(id);
        if (state == null) {
            throw new IllegalArgumentException("target: " + id + " (expected one of " + states.keySet() + ")");
        }
        return isDraining(id) ? "draining" : state.status().name().toLowerCase(java.util.Locale.ROOT);
    }

    private synchronized void drainsChanged() { // serialised: the last to run sees both sets as they are
        anyDraining = !draining.isEmpty() || !selfDraining.isEmpty();
    }

    /** Whether the target is draining, by {@link #drain} or by its own /readyz. */
    public boolean isDraining(String id) {
        return draining.contains(id) || selfDraining.contains(id);
    }

    /** Whether any target changed state within the last {@code interval × successesToMarkUp}. */
    public boolean unsettled() {
        return changedOnce && System.nanoTime() - lastChangeNanos < unsettledNanos;
    }

    private void changed() {
        lastChangeNanos = System.nanoTime();
        changedOnce = true;
        if (stateFile != null && !closed) {
            try {
                thread.execute(this::save); // file I/O stays on the health thread, writes serialised
            } catch (RejectedExecutionException e) {
                // closed concurrently
            }
        }
    }

    /** Runs on the health thread. */
    private void save() {
        Map<String, HealthStateFile.Saved> out = new LinkedHashMap<>();
        states.forEach((id, state) -> out.put(id,
                new HealthStateFile.Saved(state.status() == TargetState.Status.DOWN, draining.contains(id))));
        try {
            stateFile.write(out);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "writing dns health state " + stateFile + " failed", e);
        }
    }

    /** Whether a complete round of probes has finished since {@link #start}. */
    public boolean firstRoundDone() {
        return firstRoundDone;
    }

    /** Completed rounds so far (for tests and status output). */
    public long rounds() {
        return rounds;
    }

    /** id → healthy (down and draining are not), in target order. */
    public Map<String, Boolean> snapshot() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        states.forEach((id, state) -> out.put(id, state.healthy() && !isDraining(id)));
        return Collections.unmodifiableMap(out);
    }

    private void round() {
        if (closed) {
            return;
        }
        List<CompletableFuture<Void>> probes = new ArrayList<>(targets.size());
        for (DnsTarget target : targets) {
            if (target.healthUrl() == null) {
                continue; // never probed: always healthy
            }
            probes.add(probe.probe(target.healthUrl()).thenAccept(result -> record(target, result)));
        }
        CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            if (error != null) {
                LOG.log(Level.WARNING, "health round failed", error);
            }
            rounds++; // single writer: this thread
            firstRoundDone = true;
            if (!closed) {
                try {
                    thread.schedule(this::round, interval.toNanos(), TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    // closed concurrently
                }
            }
        });
    }

    /** Runs on the health thread (the HTTP client's executor). */
    private void record(DnsTarget target, HttpProbe.Result result) {
        boolean drainChanged = result.draining() ? selfDraining.add(target.id()) : selfDraining.remove(target.id());
        drainsChanged();
        if (drainChanged) {
            LOG.log(Level.INFO, "dns target {0} {1} (its /readyz)", target.id(), result.draining() ? "draining" : "undrained");
            changed();
        }
        TargetState state = states.get(target.id());
        TargetState.Status previous = state.record(result.healthy());
        if (previous != null) {
            if (previous != TargetState.Status.UNKNOWN || state.status() == TargetState.Status.DOWN) {
                changed();
            }
            // UNKNOWN -> UP only confirms what was assumed; DOWN is what an operator must see.
            Level level = state.status() == TargetState.Status.DOWN ? Level.WARNING
                    : previous == TargetState.Status.UNKNOWN ? Level.DEBUG : Level.INFO;
            LOG.log(level, "dns target {0} ({1}) {2} -> {3} ({4}, {5} consecutive failures)", target.id(),
                    target.healthUrl(), previous, state.status(), result.detail(), state.consecutiveFailures());
        }
    }

    private void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("health checker closed", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        probe.close();
        thread.shutdownNow();
        try {
            if (thread.awaitTermination(2, TimeUnit.SECONDS) && stateFile != null) {
                save(); // a change queued just before close would otherwise be lost; no other writer now
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
