package yunjing.proxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import yunjing.proxy.http.PipelineNames;

/**
 * Sits behind the cleartext h1-or-h2c detection. The first HTTP/1.x message it sees means the client
 * speaks HTTP/1.1 on this connection (no h2 preface, no successful Upgrade), so it installs the
 * HTTP/1.1 handlers in its place and passes the message on. On an h2c connection it never sees an
 * HTTP message and stays, inert.
 */
final class Http1Installer extends ChannelInboundHandlerAdapter {

    private final Forwarding forwarding;

    Http1Installer(Forwarding forwarding) {
        this.forwarding = forwarding;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpMessage) {
            ctx.pipeline().addAfter(ctx.name(), PipelineNames.HTTP_KEEP_ALIVE, new HttpServerKeepAliveHandler());
            forwarding.addHandlers(ctx.pipeline(), PipelineNames.HTTP_KEEP_ALIVE, "http", false);
            ctx.pipeline().remove(this);
        }
        // Ownership of msg passes on unchanged.
        ctx.fireChannelRead(msg);
    }
}
