package yunjing.dns.health;

import yunjing.dns.DnsTarget;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * <p>Lifecycle: new → running ({@link #start}) → closed ({@link #close}, idempotent, stops the thread).
 */
public final class HealthChecker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());

    private final List<DnsTarget> targets;
    private final Map<String, TargetState> states;
    private final Duration interval;
    private final ScheduledThreadPoolExecutor thread;
    private final HttpProbe probe;
    private volatile boolean firstRoundDone;
    private volatile boolean closed;
    private volatile long rounds;

    public HealthChecker(List<DnsTarget> targets, Duration interval, int failuresToMarkDown, Duration probeTimeout) {
        this.targets = List.copyOf(targets);
        this.interval = Objects.requireNonNull(interval, "interval");
        Map<String, TargetState> s = new LinkedHashMap<>();
        for (DnsTarget t : this.targets) {
            s.put(t.id(), new TargetState(failuresToMarkDown));
        }
        this.states = Collections.unmodifiableMap(s);
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

    /** Whether the target should get traffic: unknown (not probed yet) and up count as healthy. */
    public boolean isHealthy(String id) {
        TargetState state = states.get(id);
        return state != null && state.healthy();
    }

    /** Whether a complete round of probes has finished since {@link #start}. */
    public boolean firstRoundDone() {
        return firstRoundDone;
    }

    /** Completed rounds so far (for tests and status output). */
    public long rounds() {
        return rounds;
    }

    /** id → healthy, in target order. */
    public Map<String, Boolean> snapshot() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        states.forEach((id, state) -> out.put(id, state.healthy()));
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
        TargetState state = states.get(target.id());
        TargetState.Status previous = state.record(result.healthy());
        if (previous != null) {
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
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
