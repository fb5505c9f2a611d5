package yunjing.origin.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;

/** Accepted connections: tracked for {@link ApiListener#close()}, then given the detection pipeline. */
@ChannelHandler.Sharable
final class OriginChannelInitializer extends ChannelInitializer<Channel> {

    private final ApiContext api;
    private final ServerHeaderHandler serverHeader;
    private final ChannelGroup connections;

    OriginChannelInitializer(ApiContext api, ChannelGroup connections) {
        this.api = api;
        this.serverHeader = new ServerHeaderHandler(api.serverHeader());
        this.connections = connections;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        ApiPipeline.configureConnection(ch, api, serverHeader);
    }
}
