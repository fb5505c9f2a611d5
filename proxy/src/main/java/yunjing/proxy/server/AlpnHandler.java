package yunjing.proxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import yunjing.proxy.http.PipelineNames;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Completes a TLS pipeline once the handshake chose a protocol (RFC 7301): h2, or HTTP/1.1 when the
 * client offered nothing we know (clients without ALPN get HTTP/1.1, RFC 9113 §3.2).
 */
final class AlpnHandler extends ApplicationProtocolNegotiationHandler {

    private static final Logger log = Logger.getLogger(AlpnHandler.class.getName());

    private final Forwarding forwarding;
    private final Http2Handlers http2;

    AlpnHandler(Forwarding forwarding, Http2Handlers http2) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.forwarding = forwarding;
        this.http2 = http2;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        switch (protocol) {
            case ApplicationProtocolNames.HTTP_2 -> ctx.pipeline()
                    .addLast(PipelineNames.H2_FRAME_CODEC, http2.frameCodec())
                    .addLast(PipelineNames.H2_CACHE_HITS, http2.cacheHits())
                    .addLast(PipelineNames.H2_MULTIPLEX, http2.multiplexer());
            case ApplicationProtocolNames.HTTP_1_1 -> {
                ctx.pipeline()
                        .addLast(PipelineNames.HTTP_CODEC, ServerCodecs.http1())
                        .addLast(PipelineNames.HTTP_KEEP_ALIVE, new HttpServerKeepAliveHandler());
                forwarding.addHandlers(ctx.pipeline(), PipelineNames.HTTP_KEEP_ALIVE, "https", false);
            }
            default -> ctx.close();
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        // Scanners and old clients (TLS 1.1 and below) end here; not worth more than a debug line.
        log.log(Level.FINE, () -> "TLS handshake with " + ctx.channel().remoteAddress() + " failed: " + cause);
        ctx.close();
    }
}
