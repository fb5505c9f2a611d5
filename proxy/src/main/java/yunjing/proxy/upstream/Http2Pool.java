package yunjing.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import yunjing.proxy.http.PipelineNames;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Multiplexed h2c connections (prior knowledge, RFC 9113 §3.3) to the parents, per event loop and parent:
 * a request gets a stream on a connection with room under the parent's {@code MAX_CONCURRENT_STREAMS}, or
 * a new connection. Each stream is a child channel whose pipeline turns frames into the same HTTP objects
 * an HTTP/1.1 connection gives ({@link Http2StreamFrameToHttpObjectCodec}), ending in an
 * {@link UpstreamHandler}, so {@link UpstreamExchange} drives both alike; closing the stream channel
 * sends RST_STREAM, which is how a cancel travels. A parent whose connection closes before its SETTINGS
 * (it does not speak h2) is remembered and gets HTTP/1.1 from then on.
 *
 * <p>Each loop's part is touched only from that loop.
 */
final class Http2Pool {

    /** Streams per connection at most, also while the parent's SETTINGS are not in yet. */
    static final long DEFAULT_MAX_STREAMS = 100;
    /** Reader idle time before a PING, and again before the connection counts as dead. */
    static final int PING_IDLE_SECONDS = 30;
    /** Receive window per stream (as the server side): uploads and downloads without round-trip stalls. */
    static final int INITIAL_WINDOW_SIZE = 1 << 20;

    private final Map<EventLoop, Map<String, List<Http2ParentConnection>>> byLoop = new ConcurrentHashMap<>();
    private final Map<EventLoop, Map<String, Future<Http2ParentConnection>>> connecting = new ConcurrentHashMap<>();
    private final Set<String> http1Only = ConcurrentHashMap.newKeySet();
    private final IdleConnections idle;

    Http2Pool(IdleConnections idle) {
        this.idle = idle;
    }

    /** Whether requests to this parent should use h2 (it has not shown that it cannot). */
    boolean speaksHttp2(String parentId) {
        return !http1Only.contains(parentId);
    }

    void noHttp2(String parentId) {
        http1Only.add(parentId);
    }

    /**
     * A new stream to {@code parent}, opened on {@code loop}; {@code bootstrap} connects a fresh connection
     * when none has room (requests arriving while it connects wait for it rather than connect too). The
     * future fails like a connect does. Runs on {@code loop}.
     */
    Future<Channel> openStream(EventLoop loop, UpstreamParent parent, Bootstrap bootstrap, UpstreamClient client) {
        Promise<Channel> promise = loop.newPromise();
        for (Http2ParentConnection connection : connections(loop, parent.id())) {
            if (connection.hasRoom()) {
                open(connection, promise);
                return promise;
            }
        }
        Map<String, Future<Http2ParentConnection>> pendingHere = connecting.computeIfAbsent(loop, l -> new HashMap<>());
        Future<Http2ParentConnection> pending = pendingHere.get(parent.id());
        if (pending == null) {
            pending = connect(loop, parent, bootstrap, client);
            pendingHere.put(parent.id(), pending);
            pending.addListener(f -> pendingHere.remove(parent.id()));
        }
        pending.addListener(f -> {
            if (f.isSuccess()) {
                open((Http2ParentConnection) f.getNow(), promise);
            } else {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    private List<Http2ParentConnection> connections(EventLoop loop, String parentId) {
        return byLoop.computeIfAbsent(loop, l -> new HashMap<>()).computeIfAbsent(parentId, p -> new ArrayList<>());
    }

    /** A new connection, complete once its preface is out. */
    private Future<Http2ParentConnection> connect(EventLoop loop, UpstreamParent parent, Bootstrap bootstrap,
            UpstreamClient client) {
        Promise<Http2ParentConnection> ready = loop.newPromise();
        bootstrap.handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                Http2ParentConnection connection = new Http2ParentConnection(parent.id(), ch, Http2Pool.this);
                ch.pipeline()
                        .addLast(PipelineNames.H2_FRAME_CODEC, Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings().initialWindowSize(INITIAL_WINDOW_SIZE))
                                .build())
                        .addLast(PipelineNames.H2_MULTIPLEX, new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
                        .addLast(new IdleStateHandler(PING_IDLE_SECONDS, 0, 0, TimeUnit.SECONDS))
                        .addLast(PipelineNames.UPSTREAM, connection);
            }
        });
        bootstrap.connect(parent.config().http()).addListener((ChannelFutureListener) connected -> {
            if (!connected.isSuccess()) {
                ready.tryFailure(connected.cause());
                return;
            }
            client.connected(connected.channel());
            Http2ParentConnection connection = connected.channel().pipeline().get(Http2ParentConnection.class);
            if (connection == null) {
                ready.tryFailure(new java.nio.channels.ClosedChannelException());
                return;
            }
            connections(loop, parent.id()).add(connection);
            // The connect promise completes before channelActive, where the codec writes the connection
            // preface (RFC 9113 §3.4); a stream opened now would send its HEADERS ahead of it.
            loop.execute(() -> ready.trySuccess(connection));
        });
        return ready;
    }

    private void open(Http2ParentConnection connection, Promise<Channel> promise) {
        new Http2StreamChannelBootstrap(connection.channel())
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline()
                                .addLast(PipelineNames.H2_STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(false))
                                .addLast(PipelineNames.UPSTREAM, new UpstreamHandler(idle));
                        connection.streamOpened();
                        stream.closeFuture().addListener(f -> connection.streamClosed());
                    }
                })
                .open()
                .addListener(opened -> {
                    if (opened.isSuccess()) {
                        promise.trySuccess((Channel) opened.getNow());
                    } else {
                        promise.tryFailure(opened.cause());
                    }
                });
    }

    /** Drops a connection that closed or got GOAWAY from the pool. Runs on its loop. */
    void forget(Http2ParentConnection connection, String parentId) {
        Map<String, List<Http2ParentConnection>> parents = byLoop.get(connection.channel().eventLoop());
        List<Http2ParentConnection> list = parents == null ? null : parents.get(parentId);
        if (list != null) {
            list.remove(connection);
        }
    }
}
