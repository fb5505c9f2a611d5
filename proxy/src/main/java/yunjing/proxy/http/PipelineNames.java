package yunjing.proxy.http;

/**
 * The names of every handler the proxy puts in a pipeline, in pipeline order, in one place (as
 * reactor-netty's {@code NettyPipeline} does), so that a handler can be found, replaced or removed
 * by name and a reader sees each pipeline's shape at a glance.
 *
 * <pre>
 * client side, cleartext:  flush-consolidation → connection-counter → client-idle → h1-or-h2c → h1-install
 *     HTTP/1.1:             flush-consolidation → … → (codec) → (upgrade) → http-keep-alive → proxy
 *     h2c, prior knowledge: flush-consolidation → … → h2-frame-codec → h2-cache-hits → h2-multiplex
 *     h2c, by Upgrade:      flush-consolidation → … → (frame codec) → (cache hits) → (multiplex) → h1-install (inert)
 * client side, TLS:        connection-counter → client-idle → tls → flush-consolidation → alpn, then
 *                          http-codec → http-keep-alive → proxy, or h2-frame-codec → h2-cache-hits → h2-multiplex
 * each h2 stream:          h2-stream-codec → proxy (not for the complete cache hits h2-cache-hits answers)
 * upstream (HTTP/1.1):     http-client-codec → upstream
 * </pre>
 * Names in parentheses are handlers Netty's {@code CleartextHttp2ServerUpgradeHandler} and
 * {@code Http2ServerUpgradeCodec} insert without a name of ours.
 */
public final class PipelineNames {

    public static final String FLUSH_CONSOLIDATION = "flush-consolidation";
    public static final String CONNECTION_COUNTER = "connection-counter";
    public static final String CLIENT_IDLE = "client-idle";
    public static final String TLS = "tls";
    public static final String ALPN = "alpn";
    public static final String H1_OR_H2C = "h1-or-h2c";
    public static final String HTTP_CODEC = "http-codec";
    public static final String H1_INSTALL = "h1-install";
    public static final String HTTP_KEEP_ALIVE = "http-keep-alive";
    public static final String H2_FRAME_CODEC = "h2-frame-codec";
    public static final String H2_CACHE_HITS = "h2-cache-hits";
    public static final String H2_MULTIPLEX = "h2-multiplex";
    public static final String H2_STREAM_CODEC = "h2-stream-codec";
    /** Answers what the node holds itself (a replica's artifact store), in front of the proxy. */
    public static final String LOCAL = "local";
    public static final String PROXY = "proxy";

    public static final String HTTP_CLIENT_CODEC = "http-client-codec";
    public static final String UPSTREAM = "upstream";

    private PipelineNames() {
    }
}
