package yunjing.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.common.net.EventLoops;
import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.health.HealthChecker;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.server.HttpListeners;
import yunjing.proxy.upstream.ParentSelector;
import yunjing.proxy.upstream.UpstreamClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One proxy node: a streaming, caching reverse proxy (RFC 9111 shared cache in memory, request collapsing)
 * that forwards what it cannot answer to the first healthy parent.
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
    private final AtomicBoolean closed = new AtomicBoolean();

    private ProxyServer(ProxyConfig config, ProxyMetrics metrics, HealthChecker health, UpstreamClient upstream,
            HttpCache cache, HttpListeners listeners) {
        this.cache = cache;
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
     * @throws IOException            naming the file when the TLS certificate chain or key cannot be used
     */
    public static ProxyServer start(ProxyConfig config, EventLoops loops, MeterRegistry metrics)
            throws IOException, InterruptedException {
        ProxyMetrics meters = new ProxyMetrics(metrics, config.nodeId());
        HealthChecker health = new HealthChecker(
                config.parents(), config.healthInterval(), config.connectTimeout(), config.nodeId());
        for (ParentConfig parent : config.parents()) {
            meters.parentHealth(parent.id(), health::isHealthy);
        }
        ParentSelector selector = new ParentSelector(config.parents(), health::isHealthy);
        UpstreamClient upstream = new UpstreamClient(
                loops.socketChannel(), config.connectTimeout(), selector, meters, health::reportFailure);
        HttpCache cache = null;
        HttpListeners listeners;
        try {
            cache = new HttpCache(config.cache(), config.nodeId(), upstream, meters, System::currentTimeMillis);
            listeners = HttpListeners.bind(config, loops, upstream, cache, meters);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            upstream.close();
            health.close();
            meters.close();
            throw e;
        }
        health.start();
        return new ProxyServer(config, meters, health, upstream, cache, listeners);
    }

    public InetSocketAddress httpAddress() {
        return listeners.httpAddress();
    }

    /** Null when the node has no TLS listener. */
    public InetSocketAddress httpsAddress() {
        return listeners.httpsAddress();
    }

    /** Whether at least one parent is currently healthy; false after {@link #close()}. */
    public boolean isReady() {
        return !closed.get() && health.anyHealthy();
    }

    /** Parent id → healthy, in configured order. */
    public Map<String, Boolean> parentHealth() {
        return health.snapshot();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        listeners.close();
        upstream.close();
        cache.close();
        health.close();
        metrics.close();
    }

    @Override
    public String toString() {
        return "ProxyServer[" + config.nodeId() + " (" + config.tier() + ") http=" + httpAddress()
                + (listeners.httpsAddress() != null ? " https=" + httpsAddress() : "") + "]";
    }
}
