package yunjing.origin.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMessage;

/**
 * Sits behind the cleartext detector. The first HTTP/1.1 message that reaches it means the client neither sent
 * the HTTP/2 preface nor upgraded, so it installs the HTTP/1.1 handlers and gets out of the way. After an h2c
 * switch HTTP/2 frames never reach it, and it stays idle.
 */
final class Http1Detector extends ChannelInboundHandlerAdapter {

    private final ApiContext api;
    private final ServerHeaderHandler serverHeader;

    Http1Detector(ApiContext api, ServerHeaderHandler serverHeader) {
        this.api = api;
        this.serverHeader = serverHeader;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpMessage) {
            ApiPipeline.configureHttp1(ctx.pipeline(), ctx.name(), api, serverHeader);
            ctx.pipeline().remove(this);
        }
        // Ownership of msg passes on unchanged; a removed context still forwards to its successor.
        ctx.fireChannelRead(msg);
    }
}
