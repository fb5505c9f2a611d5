package yunjing.proxy.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import yunjing.proxy.http.PipelineNames;

/** Pipeline of a TLS client connection: TLS, then ALPN decides between h2 and HTTP/1.1. */
final class TlsInitializer extends ChannelInitializer<SocketChannel> {

    private final ConnectionTracker tracker;
    private final SslContext tls;
    private final Forwarding forwarding;
    private final Http2Handlers http2;

    TlsInitializer(ConnectionTracker tracker, SslContext tls, Forwarding forwarding) {
        this.tracker = tracker;
        this.tls = tls;
        this.forwarding = forwarding;
        this.http2 = new Http2Handlers(forwarding, "https");
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast(PipelineNames.CONNECTION_COUNTER, tracker)
                .addLast(PipelineNames.CLIENT_IDLE, new ClientIdleHandler(forwarding.clientIdleTimeout()))
                .addLast(PipelineNames.TLS, tls.newHandler(ch.alloc()))
                // Behind TLS: fewer flushes into the SslHandler make fewer, fuller records.
                .addLast(PipelineNames.FLUSH_CONSOLIDATION, new ClientFlushes())
                .addLast(PipelineNames.ALPN, new AlpnHandler(forwarding, http2));
    }
}
