package yunjing.proxy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Everything one proxy node needs, built once by the composition root (deploy) and never changed.
 *
 * @param nodeId         this node's id, e.g. {@code "gz-unicom"}; appears in {@code Via}, {@code Forwarded}
 *                       and {@code Cache-Status}
 * @param tier           {@code "edge"}, {@code "regional"} or {@code "central"}
 * @param httpBind       HTTP/1.1 and h2c listener; port 0 picks an ephemeral port
 * @param httpsBind      TLS listener (h2 and HTTP/1.1 by ALPN), or null for none; port 0 allowed
 * @param tlsCertChain   PEM certificate chain (node certificate first, then its CA); null when httpsBind is null
 * @param tlsPrivateKey  PEM PKCS#8 private key of the node certificate; null when httpsBind is null
 * @param parents        parents in order of preference
 * @param connectTimeout upstream TCP connect timeout, also the health probe timeout
 * @param healthInterval interval of the active {@code /readyz} probes
 * @param cache          the cache tiers and their limits
 * @param clientIdleTimeout a client connection on which nothing was read or written for this long is
 *                       closed (keep-alive idle, a stalled client, or a response with no byte for that
 *                       long); default {@link #DEFAULT_CLIENT_IDLE_TIMEOUT}
 * @param apiAccess      API keys and plans checked on {@code /v1/} requests; null or {@link ApiAccess#OPEN}
 *                       (the default) checks nothing. With keys, this node is an API edge (see README).
 * @param upstream       grandparents and upstream deadlines; null means {@link UpstreamConfig#DEFAULT}
 * @param accessLog      file of the JSON access log (one line per client request, appended; its directory is
 *                       created), or null for none
 */
public record ProxyConfig(
        String nodeId,
        String tier,
        InetSocketAddress httpBind,
        InetSocketAddress httpsBind,
        Path tlsCertChain,
        Path tlsPrivateKey,
        List<ParentConfig> parents,
        Duration connectTimeout,
        Duration healthInterval,
        CacheConfig cache,
        Duration clientIdleTimeout,
        ApiAccess apiAccess,
        UpstreamConfig upstream,
        Path accessLog) {

    public static final Duration DEFAULT_CLIENT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    /** A node without an access log. */
    public ProxyConfig(String nodeId, String tier, InetSocketAddress httpBind, InetSocketAddress httpsBind,
            Path tlsCertChain, Path tlsPrivateKey, List<ParentConfig> parents, Duration connectTimeout,
            Duration healthInterval, CacheConfig cache, Duration clientIdleTimeout, ApiAccess apiAccess,
            UpstreamConfig upstream) {
        this(nodeId, tier, httpBind, httpsBind, tlsCertChain, tlsPrivateKey, parents, connectTimeout,
                healthInterval, cache, clientIdleTimeout, apiAccess, upstream, null);
    }

    /** This configuration with the JSON access log written to {@code file} (null: none). */
    public ProxyConfig withAccessLog(Path file) {
        return new ProxyConfig(nodeId, tier, httpBind, httpsBind, tlsCertChain, tlsPrivateKey, parents,
                connectTimeout, healthInterval, cache, clientIdleTimeout, apiAccess, upstream, file);
    }

    /** A node without grandparents and with the default upstream deadlines ({@link UpstreamConfig#DEFAULT}). */
    public ProxyConfig(String nodeId, String tier, InetSocketAddress httpBind, InetSocketAddress httpsBind,
            Path tlsCertChain, Path tlsPrivateKey, List<ParentConfig> parents, Duration connectTimeout,
            Duration healthInterval, CacheConfig cache, Duration clientIdleTimeout, ApiAccess apiAccess) {
        this(nodeId, tier, httpBind, httpsBind, tlsCertChain, tlsPrivateKey, parents, connectTimeout,
                healthInterval, cache, clientIdleTimeout, apiAccess, UpstreamConfig.DEFAULT);
    }

    /** A node that checks no API keys ({@link ApiAccess#OPEN}). */
    public ProxyConfig(String nodeId, String tier, InetSocketAddress httpBind, InetSocketAddress httpsBind,
            Path tlsCertChain, Path tlsPrivateKey, List<ParentConfig> parents, Duration connectTimeout,
            Duration healthInterval, CacheConfig cache, Duration clientIdleTimeout) {
        this(nodeId, tier, httpBind, httpsBind, tlsCertChain, tlsPrivateKey, parents, connectTimeout,
                healthInterval, cache, clientIdleTimeout, ApiAccess.OPEN);
    }

    /** A node with the default client idle timeout ({@link #DEFAULT_CLIENT_IDLE_TIMEOUT}). */
    public ProxyConfig(String nodeId, String tier, InetSocketAddress httpBind, InetSocketAddress httpsBind,
            Path tlsCertChain, Path tlsPrivateKey, List<ParentConfig> parents, Duration connectTimeout,
            Duration healthInterval, CacheConfig cache) {
        this(nodeId, tier, httpBind, httpsBind, tlsCertChain, tlsPrivateKey, parents, connectTimeout,
                healthInterval, cache, DEFAULT_CLIENT_IDLE_TIMEOUT);
    }

    /** A node with the default, memory-only cache ({@link CacheConfig#memoryOnly()}). */
    public ProxyConfig(String nodeId, String tier, InetSocketAddress httpBind, InetSocketAddress httpsBind,
            Path tlsCertChain, Path tlsPrivateKey, List<ParentConfig> parents, Duration connectTimeout,
            Duration healthInterval) {
        this(nodeId, tier, httpBind, httpsBind, tlsCertChain, tlsPrivateKey, parents, connectTimeout,
                healthInterval, CacheConfig.memoryOnly());
    }

    public ProxyConfig {
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(httpBind, "httpBind");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(healthInterval, "healthInterval");
        if (nodeId.isBlank() || !nodeId.chars().allMatch(ProxyConfig::isTokenChar)) {
            // The id goes into Via and Cache-Status unquoted, so it must be an RFC 9110 §5.6.2 token.
            throw new IllegalArgumentException("nodeId: '" + nodeId + "' (expected: a non-empty token, e.g. gz-unicom)");
        }
        if (!List.of("edge", "regional", "central").contains(tier)) {
            throw new IllegalArgumentException("tier: " + tier + " (expected: edge, regional or central)");
        }
        if (httpsBind != null && (tlsCertChain == null || tlsPrivateKey == null)) {
            throw new IllegalArgumentException("httpsBind: " + httpsBind
                    + " needs tlsCertChain and tlsPrivateKey (got: " + tlsCertChain + ", " + tlsPrivateKey + ")");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
        }
        Objects.requireNonNull(clientIdleTimeout, "clientIdleTimeout");
        if (clientIdleTimeout.isNegative() || clientIdleTimeout.isZero()) {
            throw new IllegalArgumentException("clientIdleTimeout: " + clientIdleTimeout + " (expected: > 0)");
        }
        if (healthInterval.isNegative() || healthInterval.isZero()) {
            throw new IllegalArgumentException("healthInterval: " + healthInterval + " (expected: > 0)");
        }
        apiAccess = apiAccess == null ? ApiAccess.OPEN : apiAccess;
        upstream = upstream == null ? UpstreamConfig.DEFAULT : upstream;
        parents = List.copyOf(Objects.requireNonNull(parents, "parents"));
        var ids = new HashSet<String>();
        for (ParentConfig parent : parents) {
            if (!ids.add(parent.id())) {
                throw new IllegalArgumentException("parents: duplicate id " + parent.id());
            }
        }
    }

    private static boolean isTokenChar(int c) {
        return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }
}
