package yunjing.origin.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;

/** Builds the pipeline of each inbound HTTP/2 stream (see {@link ApiPipeline#configureStream}). */
@ChannelHandler.Sharable
final class Http2StreamInitializer extends ChannelInitializer<Channel> {

    private final ApiContext api;
    private final ServerHeaderHandler serverHeader;

    Http2StreamInitializer(ApiContext api, ServerHeaderHandler serverHeader) {
        this.api = api;
        this.serverHeader = serverHeader;
    }

    @Override
    protected void initChannel(Channel stream) {
        ApiPipeline.configureStream(stream, api, serverHeader);
    }
}
