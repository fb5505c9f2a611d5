package yunjing.proxy.testing;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.common.net.EventLoops;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.CacheConfig;
import yunjing.proxy.ParentConfig;
import yunjing.proxy.ProxyConfig;
import yunjing.proxy.ProxyServer;
import yunjing.proxy.UpstreamConfig;
import yunjing.proxy.cache.CacheKey;
import yunjing.proxy.upstream.ParentSelector;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Configurations and waits shared by the server tests. Everything on 127.0.0.1, port 0. */
public final class Nodes {

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration HEALTH_INTERVAL = Duration.ofMillis(100);

    private Nodes() {
    }

    public static InetSocketAddress ephemeral() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    public static ParentConfig parent(String id, InetSocketAddress http, URI readyz) {
        return new ParentConfig(id, http, readyz);
    }

    public static ParentConfig origin(TestOrigin origin) {
        return new ParentConfig("origin", origin.address(), origin.readyzUrl());
    }

    public static ParentConfig origin(ChatOrigin origin) {
        return new ParentConfig("origin", origin.address(), origin.readyzUrl());
    }

    /** A parent proxy, health-checked through itself (its /readyz is forwarded to the origin). */
    public static ParentConfig parent(ProxyServer proxy, String id) {
        InetSocketAddress http = proxy.httpAddress();
        return new ParentConfig(id, http, URI.create("http://127.0.0.1:" + http.getPort() + "/readyz"));
    }

    public static ProxyConfig config(String nodeId, String tier, List<ParentConfig> parents) {
        return new ProxyConfig(nodeId, tier, ephemeral(), null, null, null, parents, CONNECT_TIMEOUT, HEALTH_INTERVAL);
    }

    /** Edge {@code gz-unicom} on any port, memory-only cache, with {@code access} and {@code upstream}. */
    public static ProxyConfig edge(List<ParentConfig> parents, ApiAccess access, UpstreamConfig upstream) {
        return new ProxyConfig("gz-unicom", "edge", ephemeral(), null, null, null, parents, CONNECT_TIMEOUT,
                HEALTH_INTERVAL, CacheConfig.memoryOnly(), ProxyConfig.DEFAULT_CLIENT_IDLE_TIMEOUT, access, upstream);
    }

    /**
     * Starts edge {@code gz-unicom} with {@code cache} in front of {@code origin}, on {@code port}
     * (0: any; a restarted node must listen where it did, as Host, part of the cache key, names it),
     * and waits until it is ready.
     */
    public static ProxyServer startEdge(TestOrigin origin, CacheConfig cache, int port, EventLoops loops,
                                        MeterRegistry metrics) throws IOException, InterruptedException {
        ProxyServer node = ProxyServer.start(new ProxyConfig("gz-unicom", "edge", new InetSocketAddress("127.0.0.1", port),
                null, null, null, List.of(origin(origin)), CONNECT_TIMEOUT, HEALTH_INTERVAL, cache), loops, metrics);
        await("edge ready", node::isReady);
        return node;
    }

    /**
     * A path {@code prefix + i} whose rendezvous-hash home among {@code parents} (all healthy, no load) is
     * {@code homeId}, for requests to {@code node} with the JDK client's {@code Host: 127.0.0.1:port};
     * so a test can aim a request at one parent. {@code prefix} must be a path, e.g. {@code /echo/a}.
     */
    public static String pathHomedOn(List<ParentConfig> parents, String homeId, ProxyServer node, String prefix) {
        ParentSelector selector = new ParentSelector(parents, List.of(), id -> true);
        String host = "127.0.0.1:" + node.httpAddress().getPort();
        for (int i = 0; ; i++) {
            String path = prefix + i;
            if (selector.order(CacheKey.primary(host, path)).getFirst().equals(homeId)) {
                return path;
            }
        }
    }

    /** An address nothing listens on: a port bound and released at once. */
    public static InetSocketAddress closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
        }
    }

    public static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
