package yunjing.proxy.health;

import yunjing.proxy.ParentConfig;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Probes each parent's {@code /readyz} every interval from one scheduled daemon thread and keeps a
 * {@link ParentHealth} per parent. A probe passes on any 2xx answer; anything else, including a
 * timeout, is a failure. Probes are asynchronous ({@link HttpClient#sendAsync}) so a slow parent
 * delays no other; a parent whose previous probe is still running is skipped for that round.
 *
 * <p>Lifecycle: created → {@link #start()} (first round at once, not awaited) → {@link #close()}.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = Logger.getLogger(HealthChecker.class.getName());

    private final List<ParentConfig> parents;
    private final Map<String, ParentHealth> health;
    private final Duration interval;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final HttpClient client;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public HealthChecker(List<ParentConfig> parents, Duration interval, Duration timeout, String nodeId) {
        this.parents = List.copyOf(parents);
        this.interval = interval;
        this.timeout = timeout;
        Map<String, ParentHealth> byId = new LinkedHashMap<>();
        for (ParentConfig parent : this.parents) {
            byId.put(parent.id(), new ParentHealth());
        }
        this.health = Collections.unmodifiableMap(byId);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "yunjing-health-" + nodeId);
            thread.setDaemon(true);
            return thread;
        });
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Schedules the probes; the first round runs at once on the health thread. */
    public void start() {
        if (!parents.isEmpty()) {
            scheduler.scheduleWithFixedDelay(this::probeAll, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    public boolean isHealthy(String parentId) {
        ParentHealth parent = health.get(parentId);
        return parent != null && parent.healthy();
    }

    public boolean anyHealthy() {
        for (ParentHealth parent : health.values()) {
            if (parent.healthy()) {
                return true;
            }
        }
        return false;
    }

    /** Parent id → healthy, in configured order. */
    public Map<String, Boolean> snapshot() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        health.forEach((id, parent) -> out.put(id, parent.healthy()));
        return Collections.unmodifiableMap(out);
    }

    /** Passive check: a failed connect counts like a failed probe. Callable from any thread. */
    public void reportFailure(String parentId) {
        ParentHealth parent = health.get(parentId);
        if (parent != null) {
            parent.failure();
        }
    }

    private void probeAll() {
        for (ParentConfig parent : parents) {
            if (closed || !inFlight.add(parent.id())) {
                continue;
            }
            try {
                HttpRequest request = HttpRequest.newBuilder(parent.readyzUrl()).timeout(timeout).GET().build();
                client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                        .whenComplete((response, error) -> {
                            inFlight.remove(parent.id());
                            record(parent, response, error);
                        });
            } catch (RuntimeException e) {
                inFlight.remove(parent.id());
                record(parent, null, e);
            }
        }
    }

    private void record(ParentConfig parent, HttpResponse<Void> response, Throwable error) {
        if (closed) {
            return;
        }
        ParentHealth state = health.get(parent.id());
        boolean wasKnown = state.known();
        boolean wasHealthy = state.healthy();
        if (error == null && response.statusCode() / 100 == 2) {
            state.success();
        } else {
            state.failure();
        }
        if (wasHealthy != state.healthy() || !wasKnown) {
            // Changes are worth a line; the first verdict after start only when debugging.
            log.log(wasKnown ? Level.INFO : Level.FINE, () -> "parent " + parent.id() + " is now " + (state.healthy() ? "up" : "down")
                    + (error != null ? " (" + error + ")" : response != null ? " (readyz " + response.statusCode() + ")" : ""));
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        client.shutdownNow();
    }
}
