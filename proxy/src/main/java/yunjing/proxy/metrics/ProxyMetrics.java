package yunjing.proxy.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Meters of one proxy node. Thread-safe: updated from every event loop and the health thread.
 *
 * <ul>
 *   <li>{@code yunjing.proxy.requests} (counter; tags {@code node}, {@code status}: 1xx…5xx) — responses
 *       sent to clients, counted when their head is written</li>
 *   <li>{@code yunjing.proxy.upstream.connect.failures} (counter; tags {@code node}, {@code parent})</li>
 *   <li>{@code yunjing.proxy.connections.active} (gauge; tag {@code node}) — open client connections</li>
 *   <li>{@code yunjing.proxy.parent.healthy} (gauge; tags {@code node}, {@code parent}) — 1 or 0</li>
 *   <li>{@code yunjing.proxy.cache.requests} (counter; tags {@code node}, {@code result}: hit, miss, stale,
 *       revalidated, collapsed, bypass) — cache decisions; revalidated counts the 304s that refreshed an
 *       entry (their requests were counted as stale first)</li>
 *   <li>{@code yunjing.proxy.cache.served.bytes} (counter; tags {@code node}, {@code tier}) — body bytes
 *       served from a cache tier: {@code l1} (from memory), {@code l2} (read from disk into memory),
 *       {@code l2-sendfile} (sent from the entry file by {@code sendfile}, never in the heap)</li>
 *   <li>{@code yunjing.proxy.cache.sendfile.files} (gauge; tag {@code node}) — L2 files held open by sends
 *       in progress</li>
 *   <li>{@code yunjing.proxy.cache.stored.bytes} (gauge; tags {@code node}, {@code tier}) — weighted size</li>
 *   <li>{@code yunjing.proxy.cache.evictions} (counter; tags {@code node}, {@code tier})</li>
 *   <li>{@code yunjing.proxy.api.rejected} (counter; tags {@code node}, {@code reason}: missing_key,
 *       invalid_key, concurrency, rpm, rpd, tpm, too_large, invalid_json, unknown_url) — API requests refused at
 *       the edge</li>
 *   <li>the API meters, {@code yunjing.proxy.api.*}: see {@link ApiMetrics}</li>
 *   <li>{@code yunjing.proxy.upstream.retries} (counter; tags {@code node}, {@code cause}: connect_failure,
 *       connect_timeout, write_failure, stale_connection, closed_before_body, closed_idempotent,
 *       refused_stream, goaway, no_http2) — requests
 *       tried again upstream, by why</li>
 *   <li>{@code yunjing.proxy.upstream.deadlines} (counter; tags {@code node}, {@code deadline}: first_byte,
 *       idle, total) — upstream exchanges ended by a deadline</li>
 *   <li>{@code yunjing.proxy.parent.circuit} (gauge; tags {@code node}, {@code parent}) — circuit breaker
 *       state: 0 closed, 1 half-open, 2 open</li>
 *   <li>{@code yunjing.proxy.upstream.first.byte} and {@code yunjing.proxy.upstream.duration} (timers with
 *       histogram buckets {@link #UPSTREAM_BUCKETS}, 1 ms to 10 min; tags {@code node}, {@code parent}) — from the request
 *       head written to a parent to the final response head, and to the response's last byte; one sample
 *       per attempt that got a response, cache fills and revalidations included</li>
 *   <li>{@code yunjing.proxy.cache.fills} (counter; tags {@code node}) and {@code yunjing.proxy.cache.fill.bytes}
 *       (counter) — responses this node stored (Cache-Status {@code stored}), counted when the client whose
 *       request filled the entry has received its whole body</li>
 *   <li>{@code yunjing.proxy.access.log.dropped} (counter) — access log lines lost because the writer fell
 *       behind (see {@code AccessLog})</li>
 *   <li>{@code yunjing.proxy.h2.connection.hits} (counter; tag {@code node}) — h2 cache hits answered as frames
 *       on the connection, without a stream channel (also counted as requests and cache hits above)</li>
 * </ul>
 */
public final class ProxyMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final String nodeId;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();
    private final TaggedCounters requestsByClass;
    private final TaggedCounters connectFailuresByParent;
    private final TaggedCounters cacheResults;
    private final TaggedCounters cacheServed;
    private final TaggedCounters cacheEvictions;
    private final TaggedCounters apiRejected;
    private final TaggedCounters apiLeases;
    private final ApiMetrics api;
    private final TaggedCounters upstreamRetries;
    private final TaggedCounters upstreamDeadlines;
    private final Map<String, Timer> upstreamFirstByte = new ConcurrentHashMap<>();
    private final Map<String, Timer> upstreamDuration = new ConcurrentHashMap<>();
    private final TaggedCounters cacheFills;
    private final TaggedCounters cacheFillBytes;
    private final TaggedCounters accessLogDropped;
    private final TaggedCounters h2ConnectionHits;

    /** Bucket bounds of the upstream latency timers: 1 ms to 10 min, roughly 1-2.5-5 steps. */
    public static final Duration[] UPSTREAM_BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(10)};

    public ProxyMetrics(MeterRegistry registry, String nodeId) {
        this.registry = registry;
        this.nodeId = nodeId;
        requestsByClass = new TaggedCounters(registry, "yunjing.proxy.requests",
                "Responses sent to clients, by status class", nodeId, "status");
        connectFailuresByParent = new TaggedCounters(registry, "yunjing.proxy.upstream.connect.failures",
                "Failed connection attempts to a parent", nodeId, "parent");
        cacheResults = new TaggedCounters(registry, "yunjing.proxy.cache.requests",
                "Cache decisions, by result", nodeId, "result");
        cacheServed = new TaggedCounters(registry, "yunjing.proxy.cache.served.bytes",
                "Body bytes served from a cache tier", nodeId, "tier");
        cacheEvictions = new TaggedCounters(registry, "yunjing.proxy.cache.evictions",
                "Entries evicted to keep a tier within its bound", nodeId, "tier");
        apiRejected = new TaggedCounters(registry, "yunjing.proxy.api.rejected",
                "API requests refused at the edge, by reason", nodeId, "reason");
        apiLeases = new TaggedCounters(registry, "yunjing.proxy.api.leases",
                "Budget lease requests of this edge, by result (failed: counting alone for a while)", nodeId, "result");
        upstreamRetries = new TaggedCounters(registry, "yunjing.proxy.upstream.retries",
                "Requests tried again upstream, by cause", nodeId, "cause");
        upstreamDeadlines = new TaggedCounters(registry, "yunjing.proxy.upstream.deadlines",
                "Upstream exchanges ended by a deadline", nodeId, "deadline");
        cacheFills = new TaggedCounters(registry, "yunjing.proxy.cache.fills",
                "Responses stored by this node's cache, counted when their body has been delivered", nodeId, null);
        cacheFillBytes = new TaggedCounters(registry, "yunjing.proxy.cache.fill.bytes",
                "Body bytes of the responses stored by this node's cache", nodeId, null);
        accessLogDropped = new TaggedCounters(registry, "yunjing.proxy.access.log.dropped",
                "Access log lines lost because the writer fell behind", nodeId, null);
        h2ConnectionHits = new TaggedCounters(registry, "yunjing.proxy.h2.connection.hits",
                "h2 cache hits answered on the connection, without a stream channel", nodeId, null);
        gauges.add(Gauge.builder("yunjing.proxy.connections.active", activeConnections, AtomicInteger::get)
                .description("Open client connections")
                .tag("node", nodeId)
                .register(registry));
        api = new ApiMetrics(registry, nodeId);
    }

    /** The meters of the {@code /v1/} API. */
    public ApiMetrics api() {
        return api;
    }

    /** Registers the health gauge of one parent; {@code healthy} is read on every scrape. */
    public void parentHealth(String parentId, Predicate<String> healthy) {
        gauges.add(Gauge.builder("yunjing.proxy.parent.healthy", () -> healthy.test(parentId) ? 1 : 0)
                .description("1 while the parent passes its health checks")
                .tags("node", nodeId, "parent", parentId)
                .register(registry));
    }

    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    public int activeConnections() {
        return activeConnections.get();
    }

    public void response(int status) {
        requestsByClass.increment((status / 100) + "xx", 1);
    }

    public void connectFailure(String parentId) {
        connectFailuresByParent.increment(parentId, 1);
    }

    public void cacheResult(String result) {
        cacheResults.increment(result, 1);
    }

    public void cacheServed(String tier, long bytes) {
        cacheServed.increment(tier, bytes);
    }

    public void apiRejected(String reason) {
        apiRejected.increment(reason, 1);
    }

    /** A lease request ended: {@code granted}, {@code refused} (nothing left) or {@code failed}. */
    public void apiLease(String result) {
        apiLeases.increment(result, 1);
    }

    public void cacheEviction(String tier) {
        cacheEvictions.increment(tier, 1);
    }

    /** Registers the stored-bytes gauge of a tier; {@code bytes} is read on every scrape. */
    public void cacheBytes(String tier, Supplier<Number> bytes) {
        gauges.add(Gauge.builder("yunjing.proxy.cache.stored.bytes", bytes)
                .description("Bytes held by a cache tier")
                .tags("node", nodeId, "tier", tier)
                .register(registry));
    }

    public void sendfileFiles(Supplier<Number> open) {
        gauges.add(Gauge.builder("yunjing.proxy.cache.sendfile.files", open)
                .description("L2 files held open by sends in progress")
                .tags("node", nodeId)
                .register(registry));
    }

    // --- the way to the parents (upstream package) ---

    public void upstreamRetry(String cause) {
        upstreamRetries.increment(cause, 1);
    }

    public void upstreamDeadline(String deadline) {
        upstreamDeadlines.increment(deadline, 1);
    }

    /** One upstream attempt got its final response head {@code nanos} after its request head was written. */
    public void upstreamFirstByte(String parentId, long nanos) {
        upstreamFirstByte.computeIfAbsent(parentId, p -> upstreamTimer("yunjing.proxy.upstream.first.byte",
                "From the request head written to a parent to its final response head", p))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One upstream attempt got its response's last byte {@code nanos} after its request head was written. */
    public void upstreamDuration(String parentId, long nanos) {
        upstreamDuration.computeIfAbsent(parentId, p -> upstreamTimer("yunjing.proxy.upstream.duration",
                "From the request head written to a parent to the response's last byte", p))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer upstreamTimer(String name, String description, String parentId) {
        // Histogram buckets, not client-side percentiles: they aggregate across nodes (histogram_quantile).
        // Fixed buckets rather than publishPercentileHistogram's ~70: 16 series per parent and timer.
        return Timer.builder(name)
                .description(description)
                .tags("node", nodeId, "parent", parentId)
                .serviceLevelObjectives(UPSTREAM_BUCKETS)
                .register(registry);
    }

    /** The client that filled an entry received all of its {@code bytes}. */
    public void cacheFilled(long bytes) {
        cacheFills.increment(null, 1);
        cacheFillBytes.increment(null, bytes);
    }

    /** An h2 cache hit was answered on its connection, without a stream channel. */
    public void h2ConnectionHit() {
        h2ConnectionHits.increment(null, 1);
    }

    /** An access log line was dropped: the writer's queue was full. */
    public void accessLogDropped() {
        accessLogDropped.increment(null, 1);
    }

    /** Registers the circuit breaker gauge of one parent; {@code state} is read on every scrape. */
    public void parentCircuit(String parentId, ToIntFunction<String> state) {
        gauges.add(Gauge.builder("yunjing.proxy.parent.circuit", () -> state.applyAsInt(parentId))
                .description("Circuit breaker of the parent: 0 closed, 1 half-open, 2 open")
                .tags("node", nodeId, "parent", parentId)
                .register(registry));
    }

    /** Removes the gauges, which would otherwise keep reporting a stopped node. Counters stay. */
    @Override
    public void close() {
        for (Meter gauge : gauges) {
            registry.remove(gauge);
        }
        gauges.clear();
        api.close();
    }
}
