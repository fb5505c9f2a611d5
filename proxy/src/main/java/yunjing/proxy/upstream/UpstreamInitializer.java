package yunjing.proxy.upstream;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import yunjing.proxy.http.PipelineNames;

/** Pipeline of a connection to a parent: HTTP/1.1 client codec, then the relay to the exchange. */
final class UpstreamInitializer extends ChannelInitializer<SocketChannel> {

    private final IdleConnections idle;

    UpstreamInitializer(IdleConnections idle) {
        this.idle = idle;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast(PipelineNames.HTTP_CLIENT_CODEC, new HttpClientCodec())
                .addLast(PipelineNames.UPSTREAM, new UpstreamHandler(idle));
    }
}
