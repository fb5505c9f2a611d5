package yunjing.origin.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import yunjing.common.net.EventLoops;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.ExecutorService;

/**
 * The bound API port. Lifecycle: {@link #bind} returns it listening; {@link #close} closes the listener and
 * every open connection (which cancels their generations between tokens). The event loops belong to the caller.
 */
public final class ApiListener implements AutoCloseable {

    /** Largest request body: chat requests with base64 images run to ~20 MiB; leave headroom. */
    public static final int MAX_BODY_BYTES = 32 << 20;

    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final ServedModels models;

    private ApiListener(Channel serverChannel, ChannelGroup connections, ServedModels models) {
        this.models = models;
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /**
     * Binds {@code address} and starts serving {@code models}.
     *
     * @throws BindException naming the address when it cannot be bound (in use, not local, no permission)
     */
    public static ApiListener bind(String nodeId, InetSocketAddress address, EventLoops loops,
                                   List<ServedModel> models, ExecutorService inference, MeterRegistry metrics)
            throws BindException, InterruptedException {
        return bind(nodeId, address, loops, models, inference, metrics, null);
    }

    /** As above, with {@code frontHandler} (null: none) before the API in every pipeline (see {@code OriginConfig}). */
    public static ApiListener bind(String nodeId, InetSocketAddress address, EventLoops loops,
                                   List<ServedModel> models, ExecutorService inference, MeterRegistry metrics,
                                   Supplier<ChannelHandler> frontHandler)
            throws BindException, InterruptedException {
        ServedModels byId = new ServedModels(models);
        // Jackson caps strings at 20 M chars by default; one base64 image may be most of a 32 MiB body.
        ObjectMapper json = new ObjectMapper(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_BODY_BYTES).build())
                .build());
        ApiContext api = new ApiContext("yunjing-origin/" + nodeId, byId, inference,
                new OriginMetrics(metrics), json, MAX_BODY_BYTES, frontHandler);
        ChannelGroup connections = new DefaultChannelGroup("origin-" + nodeId, GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new OriginChannelInitializer(api, connections));
        ChannelFuture bound = bootstrap.bind(address);
        try {
            bound.await();
        } catch (InterruptedException e) {
            bound.addListener(ChannelFutureListener.CLOSE); // do not leave a listener nobody owns
            throw e;
        }
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            BindException e = new BindException("cannot listen on " + address + ": " + cause.getMessage());
            e.initCause(cause);
            throw e;
        }
        return new ApiListener(bound.channel(), connections, byId);
    }

    /** The models this listener serves; a hot swap replaces one here. */
    public ServedModels models() {
        return models;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
    }
}
