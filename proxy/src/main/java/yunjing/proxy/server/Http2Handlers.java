package yunjing.proxy.server;

import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import yunjing.proxy.http.PipelineNames;
import yunjing.proxy.http.ProxyHeaders;

/**
 * The HTTP/2 server side, the same for h2c (prior knowledge or Upgrade) and h2 over TLS: a frame codec,
 * {@link Http2CacheHits} answering complete cache hits on the connection itself, and for every other
 * stream a multiplexer giving it its own child channel, with a codec turning the stream's frames into
 * HTTP objects for the shared {@link ProxyHandler}.
 */
final class Http2Handlers {

    /** Streams a client may open at once (RFC 9113 §6.5.2 SETTINGS_MAX_CONCURRENT_STREAMS). */
    static final int MAX_CONCURRENT_STREAMS = 256;

    /**
     * Per-stream receive window (RFC 9113 §6.9.2). Larger than the 64 KiB default so a multi-megabyte
     * upload is not throttled by round trips; memory stays bounded because the child channel stops
     * reading (and so stops returning window) while the parent connection is not writable.
     */
    static final int INITIAL_WINDOW_SIZE = 1 << 20;

    private final Forwarding forwarding;
    private final String scheme;

    Http2Handlers(Forwarding forwarding, String scheme) {
        this.forwarding = forwarding;
        this.scheme = scheme;
    }

    Http2FrameCodec frameCodec() {
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .initialWindowSize(INITIAL_WINDOW_SIZE))
                // X-Request-Id is new on every response: indexing it in HPACK's dynamic table (RFC 7541 §2.3.2)
                // only evicts fields that repeat. Sent as a literal never indexed (§6.2.3) instead.
                .headerSensitivityDetector((name, value) -> ProxyHeaders.X_REQUEST_ID.contentEqualsIgnoreCase(name))
                .build();
    }

    /** Answers complete cache hits as frames on the connection; sits between {@link #frameCodec} and {@link #multiplexer}. */
    Http2CacheHits cacheHits() {
        return new Http2CacheHits(forwarding, scheme);
    }

    Http2MultiplexHandler multiplexer() {
        return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(PipelineNames.H2_STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(true));
                forwarding.addHandlers(stream.pipeline(), PipelineNames.H2_STREAM_CODEC, scheme, true);
            }
        });
    }

    /**
     * Puts the frame codec and the multiplexer in place of the handler it is added as: used for h2c
     * with prior knowledge, where {@code CleartextHttp2ServerUpgradeHandler} swaps in a single handler.
     */
    ChannelInitializer<io.netty.channel.Channel> inPlace() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
                String self = ch.pipeline().context(this).name();
                ch.pipeline()
                        .addAfter(self, PipelineNames.H2_FRAME_CODEC, frameCodec())
                        .addAfter(PipelineNames.H2_FRAME_CODEC, PipelineNames.H2_CACHE_HITS, cacheHits())
                        .addAfter(PipelineNames.H2_CACHE_HITS, PipelineNames.H2_MULTIPLEX, multiplexer());
                if (ch.pipeline().get(PipelineNames.H1_INSTALL) != null) {
                    ch.pipeline().remove(PipelineNames.H1_INSTALL);
                }
            }
        };
    }
}
