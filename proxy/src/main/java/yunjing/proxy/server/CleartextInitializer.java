package yunjing.proxy.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.util.AsciiString;
import yunjing.proxy.http.PipelineNames;

/**
 * Pipeline of a cleartext client connection: HTTP/1.1, h2c with prior knowledge (RFC 9113 §3.3) and
 * h2c by HTTP/1.1 Upgrade (RFC 7540 §3.2; deprecated by RFC 9113 but still what the JDK client does).
 * {@link CleartextHttp2ServerUpgradeHandler} looks for the connection preface; without it the
 * HTTP/1.1 codec and the upgrade handler take over, and {@link Http1Installer} finishes the pipeline
 * on the first plain request.
 */
final class CleartextInitializer extends ChannelInitializer<SocketChannel> {

    /** An h2c Upgrade request is aggregated before the switch; a bigger one is refused with 413. */
    static final int MAX_UPGRADE_REQUEST_BYTES = 64 * 1024;

    private final ConnectionTracker tracker;
    private final Forwarding forwarding;
    private final Http2Handlers http2;

    CleartextInitializer(ConnectionTracker tracker, Forwarding forwarding) {
        this.tracker = tracker;
        this.forwarding = forwarding;
        this.http2 = new Http2Handlers(forwarding, "http");
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        HttpServerCodec codec = ServerCodecs.http1();
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(http2.frameCodec(), http2.cacheHits(), http2.multiplexer())
                        : null,
                MAX_UPGRADE_REQUEST_BYTES);
        ch.pipeline()
                .addLast(PipelineNames.FLUSH_CONSOLIDATION, new ClientFlushes())
                .addLast(PipelineNames.CONNECTION_COUNTER, tracker)
                .addLast(PipelineNames.CLIENT_IDLE, new ClientIdleHandler(forwarding.clientIdleTimeout()))
                .addLast(PipelineNames.H1_OR_H2C, new CleartextHttp2ServerUpgradeHandler(codec, upgrade, http2.inPlace()))
                .addLast(PipelineNames.H1_INSTALL, new Http1Installer(forwarding));
    }
}
