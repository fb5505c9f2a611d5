package yunjing.sync.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's numbers as Micrometer meters, tagged with the repository; on a node they go to the
 * node's registry and so to its {@code /metrics}:
 *
 * <ul>
 *   <li>{@code yunjing.sync.bytes{kind=fetched|reused}}, {@code yunjing.sync.chunks{kind=fetched|reused}},
 *       {@code yunjing.sync.requests}, {@code yunjing.sync.retries}, {@code yunjing.sync.verify.failures}:
 *       counters, added to when a sync ends (also when it fails: what it fetched was paid for);</li>
 *   <li>{@code yunjing.sync.syncs{outcome=activated|current|failed|refused}}: counter;</li>
 *   <li>{@code yunjing.sync.lag.seconds}: gauge, seconds from the manifest's {@code published} time
 *       to its activation here, for the last activation (NaN before one, or when the manifest
 *       predates the field).</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class SyncMetrics {

    /** How a sync ended. */
    public enum Outcome { ACTIVATED, CURRENT, FAILED, REFUSED }

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lagMillis = new ConcurrentHashMap<>();

    public SyncMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Adds what one sync of {@code repo} cost. */
    public void record(String repo, SyncStats s, Outcome outcome) {
        Tags repoTag = Tags.of("repo", repo);
        counter("yunjing.sync.bytes", repoTag.and("kind", "fetched"), "Bytes read from parents", "bytes").increment(s.bytesFetched());
        counter("yunjing.sync.bytes", repoTag.and("kind", "reused"), "Bytes taken from local files", "bytes").increment(s.bytesReused());
        counter("yunjing.sync.chunks", repoTag.and("kind", "fetched"), "Chunks fetched or patched", null).increment(s.chunksFetched());
        counter("yunjing.sync.chunks", repoTag.and("kind", "reused"), "Chunks taken from local files", null).increment(s.chunksReused());
        counter("yunjing.sync.files.linked", repoTag, "Files hard-linked whole from the previous revision", null)
                .increment(s.filesLinked());
        counter("yunjing.sync.requests", repoTag, "Range, span and block-digest requests", null).increment(s.requests());
        counter("yunjing.sync.retries", repoTag, "Requests repeated after a truncated, failed or corrupt response", null).increment(s.retries());
        counter("yunjing.sync.verify.failures", repoTag, "Fetched chunks whose SHA-256 did not match the manifest", null)
                .increment(s.verifyFailures());
        counter("yunjing.sync.syncs", repoTag.and("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT)), "Syncs by outcome", null)
                .increment();
    }

    /** Records the lag of the activation of a manifest of {@code repo} published {@code lag} ago. */
    public void lag(String repo, Duration lag) {
        AtomicLong millis = lagMillis.computeIfAbsent(repo, r -> {
            AtomicLong holder = new AtomicLong(Long.MIN_VALUE);
            Gauge.builder("yunjing.sync.lag.seconds", holder, h -> h.get() == Long.MIN_VALUE ? Double.NaN : h.get() / 1000.0)
                    .tags("repo", r)
                    .description("Seconds from the manifest's publication at the origin to its activation here, last activation")
                    .baseUnit("seconds")
                    .register(registry);
            return holder;
        });
        millis.set(lag.toMillis());
    }

    private Counter counter(String name, Tags tags, String description, String unit) {
        Counter.Builder b = Counter.builder(name).tags(tags).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        return b.register(registry);
    }
}
