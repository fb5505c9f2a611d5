package yunjing.origin.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Installed by {@link io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler} when a client opens with
 * the HTTP/2 connection preface (prior knowledge, RFC 9113 §3.3): replaces itself with the frame codec and
 * stream multiplexer. A fresh codec per connection, as HTTP/2 state is per connection.
 */
final class Http2ConnectionInitializer extends ChannelInboundHandlerAdapter {

    private final ApiContext api;
    private final ServerHeaderHandler serverHeader;

    Http2ConnectionInitializer(ApiContext api, ServerHeaderHandler serverHeader) {
        this.api = api;
        this.serverHeader = serverHeader;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ApiPipeline.configureHttp2(ctx.pipeline(), ctx.name(), api, serverHeader);
        ctx.pipeline().remove(this);
    }
}
