package yunjing.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandler;
import yunjing.common.net.EventLoops;
import yunjing.proxy.accesslog.AccessLog;
import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.health.HealthChecker;
import yunjing.proxy.llm.ApiGate;
import yunjing.proxy.llm.LeaseTransport;
import yunjing.proxy.llm.SharedBudget;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.server.HttpListeners;
import yunjing.proxy.upstream.ParentSelector;
import yunjing.proxy.upstream.ParentTrace;
import yunjing.proxy.upstream.UpstreamClient;
import yunjing.proxy.warm.CacheWarmer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One proxy node: a streaming, caching reverse proxy (RFC 9111 shared cache in memory, request collapsing)
 * that forwards what it cannot answer to its parents, chosen by {@link ParentSelector}.
 *
 * <p>Lifecycle: {@link #start} binds the listeners and starts the health checks (their first round runs
 * at once but is not awaited; until it answers no parent counts as healthy) → running →
 * {@link #close()}: listeners, client and parent connections and the health thread are stopped; the
 * event loops stay the caller's.
 */
public final class ProxyServer implements AutoCloseable {

    private final ProxyConfig config;
    private final ProxyMetrics metrics;
    private final HealthChecker health;
    private final UpstreamClient upstream;
    private final HttpCache cache;
    private final HttpListeners listeners;
    private final ApiGate gate;
    private final AccessLog accessLog;
    private final CacheWarmer warmer;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Sends the token reports of shared budgets that are due; null until {@link #shareApiBudgets}. */
    private final EventLoops loops;
    private ScheduledFuture<?> tokenReports;

    private ProxyServer(ProxyConfig config, EventLoops loops, ProxyMetrics metrics, HealthChecker health,
            UpstreamClient upstream, HttpCache cache, HttpListeners listeners, ApiGate gate, AccessLog accessLog) {
        this.loops = loops;
        this.accessLog = accessLog;
        this.warmer = new CacheWarmer(cache, loops.group(), config.nodeId());
        this.cache = cache;
        this.gate = gate;
        this.config = config;
        this.metrics = metrics;
        this.health = health;
        this.upstream = upstream;
        this.listeners = listeners;
    }

    /**
     * Starts a node on {@code loops}, which the caller owns and closes.
     *
     * @throws java.net.BindException naming the address when a listen port is taken
     * @throws IOException            naming the file when the TLS certificate chain or key, or the access
     *                                  log, cannot be used
     */
    public static ProxyServer start(ProxyConfig config, EventLoops loops, MeterRegistry metrics)
            throws IOException, InterruptedException {
        return start(config, loops, metrics, null);
    }

    /**
     * As above, with {@code local} making, per connection (HTTP/1.1) or stream (HTTP/2), a handler in
     * front of the proxy that answers what the node holds itself (a replica's artifact store) and
     * passes every other request on, body included; null for none. Complete HTTP/2 cache hits are
     * still answered before it.
     */
    public static ProxyServer start(ProxyConfig config, EventLoops loops, MeterRegistry metrics, Supplier<ChannelHandler> local)
            throws IOException, InterruptedException {
        ProxyMetrics meters = new ProxyMetrics(metrics, config.nodeId());
        AccessLog accessLog;
        try {
            accessLog = config.accessLog() == null ? AccessLog.OFF
                    : AccessLog.open(config.accessLog(), config.nodeId(), meters);
        } catch (IOException e) {
            meters.close();
            throw e;
        }
        ParentTrace parentTrace = accessLog.enabled() ? ParentTrace.bounded() : ParentTrace.OFF;
        List<ParentConfig> upstreamNodes = upstreamNodes(config);
        HealthChecker health = new HealthChecker(
                upstreamNodes, config.healthInterval(), config.connectTimeout(), config.nodeId());
        ParentSelector selector = new ParentSelector(
                config.parents(), config.upstream().grandparents(), health::isHealthy);
        for (ParentConfig parent : upstreamNodes) {
            meters.parentHealth(parent.id(), health::isHealthy);
            meters.parentCircuit(parent.id(), selector::circuitState);
        }
        UpstreamClient upstream = new UpstreamClient(loops.socketChannel(), config.connectTimeout(), selector,
                meters, health::reportFailure, config.upstream(), parentTrace);
        HttpCache cache = null;
        HttpListeners listeners;
        ApiGate gate = new ApiGate(config.apiAccess(), Clock.systemUTC(), meters);
        try {
            cache = new HttpCache(config.cache(), config.nodeId(), upstream, meters, System::currentTimeMillis);
            listeners = HttpListeners.bind(config, loops, upstream, cache, meters, gate, accessLog, parentTrace, local);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            upstream.close();
            health.close();
            accessLog.close();
            meters.close();
            throw e;
        }
        health.start();
        return new ProxyServer(config, loops, meters, health, upstream, cache, listeners, gate, accessLog);
    }

    /**
     * The open client connections, for readers of per-connection socket state such as the edge's
     * RTT reporter ({@code yunjing.proxy.rtt}); iterate from any thread, do not write to them.
     */
    public Iterable<io.netty.channel.Channel> clientConnections() {
        return listeners.clientConnections();
    }

    /** The parents, then the grandparents that are not parents too: everything health-checked. */
    private static List<ParentConfig> upstreamNodes(ProxyConfig config) {
        Map<String, ParentConfig> byId = new LinkedHashMap<>();
        for (ParentConfig parent : config.parents()) {
            byId.put(parent.id(), parent);
        }
        for (ParentConfig grandparent : config.upstream().grandparents()) {
            byId.putIfAbsent(grandparent.id(), grandparent);
        }
        return List.copyOf(byId.values());
    }

    public InetSocketAddress httpAddress() {
        return listeners.httpAddress();
    }

    /** Null when the node has no TLS listener. */
    public InetSocketAddress httpsAddress() {
        return listeners.httpsAddress();
    }

    /** Whether at least one parent or grandparent is currently healthy; false after {@link #close()}. */
    public boolean isReady() {
        return !closed.get() && health.anyHealthy();
    }

    /** Parent id → healthy, in configured order, then the grandparents. */
    public Map<String, Boolean> parentHealth() {
        return health.snapshot();
    }

    /**
     * Removes the cached response for one URL, every Vary variant of it, from memory and disk; a fill in
     * flight for it serves its clients but stores nothing. Thread-safe; costs a scan of the entries.
     *
     * @param url {@code http://host[:port]/path?query}, {@code https://…} or {@code host[:port]/path?query};
     *            host and path are normalised as for lookups (so {@code /a/../b} purges {@code /b})
     * @return the number of entries removed (one held in memory and on disk counts once)
     * @throws IllegalArgumentException when the URL has no host
     */
    public int purge(String url) {
        String[] hostAndTarget = splitUrl(url, "url");
        return cache.purgeKey(hostAndTarget[0], hostAndTarget[1]);
    }

    /**
     * Removes every cached response whose key starts with {@code hostAndPathPrefix}, e.g.
     * {@code cdn.example.com/static/} (a scheme is ignored; the host is compared lower-cased, the path
     * prefix as given; a bare host means its whole tree). Same guarantees as {@link #purge}.
     *
     * @return the number of entries removed
     * @throws IllegalArgumentException when the prefix has no host
     */
    public int purgePrefix(String hostAndPathPrefix) {
        String[] hostAndPath = splitUrl(hostAndPathPrefix, "hostAndPathPrefix");
        return cache.purgePrefix(hostAndPath[0], hostAndPath[1]);
    }

    /**
     * Removes every cached response that names this SHA-256 for its body ({@code X-Linked-Etag},
     * {@code Repr-Digest} or a sha256 ETag), whatever its URL, and the large-object slices stored under it.
     *
     * @param sha256 64 hex digits
     * @return the number of entries removed (slices included)
     * @throws IllegalArgumentException when {@code sha256} is not 64 hex digits
     */
    public int purgeDigest(String sha256) {
        if (sha256 == null || !sha256.strip().matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("sha256: " + sha256 + " (expected: 64 hex digits)");
        }
        return cache.purgeDigest(sha256);
    }

    /**
     * Replaces the API keys and plans at once (a key reload without restart); null means
     * {@link ApiAccess#OPEN}. Requests already admitted keep their slots, and per-key counters (in flight,
     * per minute, per day) carry over for key ids that remain. Thread-safe.
     */
    public void updateApiAccess(ApiAccess access) {
        gate.update(access);
    }

    /**
     * Leases each key's requests-per-minute and per-day budgets from its owner through {@code transport}
     * instead of counting them here alone (see README, "Limits across edges"); {@code edges} is how many
     * edges share a budget (an edge that cannot reach the owner takes 1/edges of it). Thread-safe.
     */
    public synchronized void shareApiBudgets(LeaseTransport transport, int edges) {
        SharedBudget budget = new SharedBudget(transport, edges, Clock.systemUTC(), metrics);
        gate.share(budget);
        if (tokenReports != null) {
            tokenReports.cancel(false);
        }
        // Tokens charged here reach the owner within about REPORT_MILLIS even when no request follows;
        // reportDue only starts lease requests (as take() does on the event loops), so it never waits.
        long period = SharedBudget.REPORT_MILLIS / 4;
        tokenReports = loops.group().next()
                .scheduleWithFixedDelay(budget::reportDue, period, period, TimeUnit.MILLISECONDS);
    }

    /** A host name or IPv4 address, or a bracketed IPv6 address, and an optional port: what Host may carry. */
    private static final Pattern WARM_HOST =
            Pattern.compile("([A-Za-z0-9._~-]+|\\[[0-9A-Fa-f:.]+])(:[0-9]{1,5})?");

    /** The most URLs one {@link #warm} call takes. */
    public static final int MAX_WARM_URLS = 1000;

    /**
     * Prefetches URLs into this node's cache (L1, and L2 when configured): each is fetched through the
     * cache as a client's GET would be — a fresh entry is a hit and costs nothing, a miss fills the entry
     * from the parents, collapsed with clients asking meanwhile — and the body is discarded.
     * {@link yunjing.proxy.warm.CacheWarmer#CONCURRENCY} fetches run at a time; each ends by itself (its
     * body arrived, or the upstream deadlines failed it). Thread-safe; never blocks.
     *
     * @param urls as for {@link #purge}: {@code [http[s]://]host[:port]/path?query}; the host is sent as
     *             {@code Host} and is part of the cache key
     * @return the results, in the order given; the future never fails
     * @throws IllegalArgumentException no URLs, more than {@link #MAX_WARM_URLS}, or a URL without a host
     */
    public CompletableFuture<List<WarmResult>> warm(List<String> urls) {
        if (urls == null || urls.isEmpty() || urls.size() > MAX_WARM_URLS) {
            throw new IllegalArgumentException("urls: " + (urls == null ? "null" : urls.size() + " URLs")
                    + " (expected: 1 to " + MAX_WARM_URLS + ")");
        }
        List<CacheWarmer.Target> targets = new ArrayList<>(urls.size());
        for (String url : urls) {
            String[] hostAndTarget = splitUrl(url, "url");
            if (!WARM_HOST.matcher(hostAndTarget[0]).matches()
                    || !hostAndTarget[1].chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("url: " + url
                        + " (expected: [http[s]://]host[:port]/path?query, visible ASCII; percent-encode the rest)");
            }
            targets.add(new CacheWarmer.Target(url, hostAndTarget[0], hostAndTarget[1]));
        }
        return warmer.warm(targets);
    }

    /** A snapshot of the cache's sizes and counters since start. Thread-safe. */
    public CacheStats cacheStats() {
        return cache.stats();
    }

    /** {host, target} of {@code [scheme://]host[:port][/path][?query]}; target "/" when there is no path. */
    private static String[] splitUrl(String url, String what) {
        if (url == null) {
            throw new IllegalArgumentException(what + ": null (expected: [http[s]://]host[:port]/path)");
        }
        String rest = url.strip();
        for (String scheme : new String[] {"http://", "https://"}) {
            if (rest.regionMatches(true, 0, scheme, 0, scheme.length())) {
                rest = rest.substring(scheme.length());
                break;
            }
        }
        int slash = rest.indexOf('/');
        int query = rest.indexOf('?');
        int end = slash < 0 ? query : query < 0 ? slash : Math.min(slash, query);
        String host = end < 0 ? rest : rest.substring(0, end);
        String target = end < 0 ? "/" : rest.charAt(end) == '/' ? rest.substring(end) : "/" + rest.substring(end);
        if (host.isEmpty()) {
            throw new IllegalArgumentException(what + ": " + url + " (expected: [http[s]://]host[:port]/path)");
        }
        return new String[] {host, target};
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (this) {
            if (tokenReports != null) {
                tokenReports.cancel(false);
            }
        }
        listeners.close();
        upstream.close();
        cache.close();
        health.close();
        // After the listeners: the exchanges they ended on close are in the queue, and get written.
        accessLog.close();
        metrics.close();
    }

    /** Access log lines lost so far because its writer fell behind (0 without an access log). */
    public long accessLogDropped() {
        return accessLog.dropped();
    }

    /**
     * Reopens the access log file by its path, for log rotation by rename (see {@code AccessLog#reopen}):
     * returns once new lines go to the new file; false without an access log. Any thread; blocks briefly.
     *
     * @throws IOException naming the file when it cannot be opened (lines keep going to the old one)
     */
    public boolean reopenAccessLog() throws IOException {
        if (!accessLog.enabled()) {
            return false;
        }
        accessLog.reopen();
        return true;
    }

    @Override
    public String toString() {
        return "ProxyServer[" + config.nodeId() + " (" + config.tier() + ") http=" + httpAddress()
                + (listeners.httpsAddress() != null ? " https=" + httpsAddress() : "") + "]";
    }
}
