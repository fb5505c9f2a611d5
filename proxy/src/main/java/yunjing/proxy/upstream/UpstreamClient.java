package yunjing.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.ImmediateEventExecutor;
import yunjing.proxy.UpstreamConfig;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.metrics.ProxyMetrics;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Forwards requests to the parents over HTTP/1.1: picks candidates from the {@link ParentSelector} by
 * the request's {@link SelectionKey},
 * reuses an idle keep-alive connection when there is one on the caller's event loop, otherwise
 * connects; fails over as {@link UpstreamExchange} describes. Thread-safe.
 *
 * <p>Room to grow: an h2 connection pool per parent replaces the HTTP/1.1 pool behind this class.
 */
public final class UpstreamClient implements AutoCloseable {

    private final Class<? extends SocketChannel> channelType;
    private final int connectTimeoutMillis;
    private final ParentSelector selector;
    private final ProxyMetrics metrics;
    private final Consumer<String> passiveHealth;
    private final UpstreamConfig config;
    private final ParentTrace trace;
    private final IdleConnections idle = new IdleConnections();
    private final Http2Pool http2Pool = new Http2Pool(idle);
    private final ChannelGroup channels = new DefaultChannelGroup("upstream", ImmediateEventExecutor.INSTANCE);
    private volatile boolean closed;

    /**
     * @param passiveHealth told the parent id of every failed connect (the passive health check)
     * @param config        the deadlines (its grandparents are already in the selector)
     * @param trace         told which parent answered each request id ({@link ParentTrace#OFF}: nothing)
     */
    public UpstreamClient(
            Class<? extends SocketChannel> channelType, Duration connectTimeout, ParentSelector selector,
            ProxyMetrics metrics, Consumer<String> passiveHealth, UpstreamConfig config, ParentTrace trace) {
        this.config = config;
        this.trace = trace;
        this.channelType = channelType;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        this.selector = selector;
        this.metrics = metrics;
        this.passiveHealth = passiveHealth;
    }

    /**
     * Starts forwarding {@code head} (a complete HTTP/1.1 request head, hop-by-hop headers already
     * replaced). The body follows through {@link UpstreamExchange#write}. Must be called on {@code loop},
     * which then runs the whole exchange.
     */
    public UpstreamExchange send(HttpRequest head, EventLoop loop, UpstreamListener listener) {
        assert loop.inEventLoop();
        UpstreamExchange exchange = new UpstreamExchange(this, head, loop, listener,
                selector.candidates(SelectionKey.of(head)));
        exchange.start();
        return exchange;
    }

    boolean isClosed() {
        return closed;
    }

    IdleConnections idle() {
        return idle;
    }

    /** Whether requests to {@code parent} go over h2: configured, and the parent has not shown it cannot. */
    boolean http2(UpstreamParent parent) {
        return config.http2() && http2Pool.speaksHttp2(parent.id());
    }

    Http2Pool http2Pool() {
        return http2Pool;
    }

    /** A bootstrap whose connections live on {@code loop}, the loop of the client side of the exchange. */
    Bootstrap bootstrap(EventLoop loop) {
        return new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new UpstreamInitializer(idle));
    }

    void connected(Channel channel) {
        channels.add(channel);
        if (closed) {
            channel.close();
        }
    }

    /** Connecting (or writing the first bytes) failed: counted, and told to health and breaker. */
    void connectFailed(UpstreamParent parent) {
        metrics.connectFailure(parent.id());
        passiveHealth.accept(parent.id());
        parent.breaker().onFailure();
    }

    boolean hasParents() {
        return selector.hasParents();
    }

    void retried(String cause) {
        metrics.upstreamRetry(cause);
    }

    /** A parent sent the final response head of {@code head}, {@code nanos} after the request head went out. */
    void responseHead(UpstreamParent parent, HttpRequest head, long nanos) {
        metrics.upstreamFirstByte(parent.id(), nanos);
        trace.record(head.headers().get(ProxyHeaders.X_REQUEST_ID), parent.id());
    }

    /** A parent sent the last byte of a response, {@code nanos} after the request head went out. */
    void responseEnded(UpstreamParent parent, long nanos) {
        metrics.upstreamDuration(parent.id(), nanos);
    }

    void deadlinePassed(ExchangeDeadlines.Deadline deadline) {
        metrics.upstreamDeadline(deadline.tag);
    }

    long firstByteNanos() {
        return config.firstByteTimeout().toNanos();
    }

    long idleNanos() {
        return config.idleTimeout().toNanos();
    }

    long apiTotalNanos() {
        return config.apiTotalTimeout().toNanos();
    }

    /** The configured length of a deadline, for error messages. */
    String deadlineText(ExchangeDeadlines.Deadline deadline) {
        Duration d = switch (deadline) {
            case FIRST_BYTE -> config.firstByteTimeout();
            case IDLE -> config.idleTimeout();
            case TOTAL -> config.apiTotalTimeout();
        };
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** Closes every upstream connection, idle or busy. Idempotent. */
    @Override
    public void close() {
        closed = true;
        channels.close();
    }
}
