package yunjing.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ImmediateEventExecutor;
import yunjing.common.net.EventLoops;
import yunjing.proxy.ProxyConfig;
import yunjing.proxy.accesslog.AccessLog;
import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.llm.AnswerCache;
import yunjing.proxy.llm.ApiEdge;
import yunjing.proxy.llm.ApiGate;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.upstream.ParentTrace;
import yunjing.proxy.upstream.UpstreamClient;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node's client-facing listeners: cleartext (HTTP/1.1 and h2c) and optionally TLS (h2 and HTTP/1.1
 * by ALPN), on the caller's event loops. Closing stops the listeners and closes every client connection
 * they accepted; the event loops stay the caller's.
 */
public final class HttpListeners implements AutoCloseable {

    private static final long CLOSE_WAIT_SECONDS = 5;

    private final Channel http;
    private final Channel https;
    private final ChannelGroup accepted;

    private HttpListeners(Channel http, Channel https, ChannelGroup accepted) {
        this.http = http;
        this.https = https;
        this.accepted = accepted;
    }

    /**
     * Binds the listeners of {@code config}.
     *
     * @throws BindException naming the address when it is taken
     * @throws IOException   naming the file when the TLS certificate or key cannot be used
     */
    public static HttpListeners bind(ProxyConfig config, EventLoops loops, UpstreamClient upstream, HttpCache cache,
            ProxyMetrics metrics, ApiGate gate, AccessLog accessLog, ParentTrace parents, Supplier<ChannelHandler> local)
            throws IOException, InterruptedException {
        SslContext tls = config.httpsBind() == null ? null
                : TlsContexts.server(config.tlsCertChain(), config.tlsPrivateKey());
        ChannelGroup accepted = new DefaultChannelGroup("clients-" + config.nodeId(), ImmediateEventExecutor.INSTANCE);
        ConnectionTracker tracker = new ConnectionTracker(metrics, accepted);
        ApiEdge api = new ApiEdge(config.nodeId(), gate, AnswerCache.withDefaults(), metrics.api());
        Forwarding forwarding = new Forwarding(config.nodeId(), upstream, cache, metrics,
                config.clientIdleTimeout(), api, accessLog, parents, local);
        Channel http = bind(loops, config.httpBind(), "httpBind", new CleartextInitializer(tracker, forwarding));
        Channel https = null;
        if (tls != null) {
            try {
                https = bind(loops, config.httpsBind(), "httpsBind", new TlsInitializer(tracker, tls, forwarding));
            } catch (IOException | InterruptedException | RuntimeException e) {
                http.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
                throw e;
            }
        }
        return new HttpListeners(http, https, accepted);
    }

    private static Channel bind(EventLoops loops, InetSocketAddress address, String what,
            ChannelInitializer<SocketChannel> initializer) throws IOException, InterruptedException {
        ChannelFuture bound = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer)
                .bind(address)
                .await();
        if (bound.isSuccess()) {
            return bound.channel();
        }
        Throwable cause = bound.cause();
        String message = what + " " + address + ": " + cause.getMessage();
        // Native transports report EADDRINUSE as a plain IOException; callers want the BindException.
        if (cause instanceof BindException
                || (cause.getMessage() != null && cause.getMessage().contains("Address already in use"))) {
            BindException bind = new BindException(message);
            bind.initCause(cause);
            throw bind;
        }
        throw new IOException(message, cause);
    }

    /** The open client connections (closed ones leave the group by themselves). */
    public Iterable<Channel> clientConnections() {
        return accepted;
    }

    public InetSocketAddress httpAddress() {
        return (InetSocketAddress) http.localAddress();
    }

    /** Null when the node has no TLS listener. */
    public InetSocketAddress httpsAddress() {
        return https == null ? null : (InetSocketAddress) https.localAddress();
    }

    /** Stops accepting, then closes open client connections. Blocks until done unless called on an event loop. */
    @Override
    public void close() {
        ChannelFuture httpClosed = http.close();
        ChannelFuture httpsClosed = https == null ? null : https.close();
        var clientsClosed = accepted.close();
        if (!http.eventLoop().inEventLoop()) {
            httpClosed.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            if (httpsClosed != null) {
                httpsClosed.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            }
            clientsClosed.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
