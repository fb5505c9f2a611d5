package yunjing.deploy.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import yunjing.common.net.EventLoops;

import java.net.BindException;
import java.net.InetSocketAddress;

/**
 * The admin listener every node and service has: {@code GET /healthz} (the process is alive),
 * {@code GET /readyz} (200 when the role should get traffic, 503 otherwise, with the reason),
 * {@code GET /metrics} (Prometheus text from the role's registry), and on caching nodes, with
 * the admin token, {@code POST /cache/purge?url=…|prefix=…} and {@code GET /cache/stats}; with the
 * token on every role, {@code POST /drain} and {@code POST /undrain}.
 */
public final class AdminServer implements AutoCloseable {

    private final Channel channel;

    /** Accepted connections, closed with the server: a stopped admin port must not serve keep-alive clients. */
    private final ChannelGroup children;

    private AdminServer(Channel channel, ChannelGroup children) {
        this.channel = channel;
        this.children = children;
    }

    public static AdminServer start(InetSocketAddress bind, EventLoops loops, AdminRole role, AdminToken token)
            throws BindException, InterruptedException {
        ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, 30))
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(8 * 1024))
                                .addLast("admin", new AdminHandler(role, token));
                    }
                });
        try {
            return new AdminServer(bootstrap.bind(bind).sync().channel(), children);
        } catch (Exception e) {
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            BindException failure = new BindException("admin: cannot listen on " + describe(bind) + ": " + e.getMessage());
            failure.initCause(e);
            throw failure;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        children.close().awaitUninterruptibly();
    }

    static String describe(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
