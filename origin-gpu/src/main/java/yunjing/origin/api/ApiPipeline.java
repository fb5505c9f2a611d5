package yunjing.origin.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;

/**
 * Every pipeline the API builds, with its handler names and order, in one place (as reactor-netty's
 * {@code NettyPipeline}). A connection starts as:
 * <pre>
 *   cleartext (h2c prior knowledge or HTTP/1.1, possibly Upgrade: h2c) → h1-detect
 * </pre>
 * and becomes one of
 * <pre>
 *   HTTP/1.1:  http-codec → upgrade → server-header → keep-alive → [front] → aggregator → api
 *   HTTP/2:    h2-frame-codec → h2-multiplex, and per stream:
 *              h2-to-http → server-header → [front] → aggregator → api
 * </pre>
 * so that the same {@link ApiHandler} serves HTTP/1.1 requests and HTTP/2 streams.
 */
final class ApiPipeline {

    static final String CLEARTEXT = "cleartext";
    static final String H1_DETECT = "h1-detect";
    static final String SERVER_HEADER = "server-header";
    static final String KEEP_ALIVE = "keep-alive";
    static final String AGGREGATOR = "aggregator";
    /** Optional ({@code OriginConfig.frontHandler}): answers the requests it owns, passes the rest to the API. */
    static final String FRONT = "front";
    static final String API = "api";
    static final String H2_FRAME_CODEC = "h2-frame-codec";
    static final String H2_MULTIPLEX = "h2-multiplex";
    static final String H2_TO_HTTP = "h2-to-http";

    /** Concurrent streams per HTTP/2 connection we advertise; each is one request. */
    static final int MAX_CONCURRENT_STREAMS = 128;
    /** Per-stream receive window: large enough that a multi-MiB body is not throttled by window updates. */
    static final int INITIAL_WINDOW_SIZE = 1 << 20;

    private ApiPipeline() {}

    /** A new connection: HTTP/1.1 and h2c detection (prior-knowledge preface or {@code Upgrade: h2c}). */
    static void configureConnection(Channel ch, ApiContext api, ServerHeaderHandler serverHeader) {
        HttpServerCodec http = new HttpServerCodec();
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(http2FrameCodec(), http2Multiplex(api, serverHeader))
                        : null,
                api.maxBodyBytes());
        ChannelPipeline p = ch.pipeline();
        p.addLast(CLEARTEXT, new CleartextHttp2ServerUpgradeHandler(http, upgrade,
                new Http2ConnectionInitializer(api, serverHeader)));
        p.addLast(H1_DETECT, new Http1Detector(api, serverHeader));
    }

    /** Adds the HTTP/1.1 handlers after {@code after}, once the connection turned out to speak HTTP/1.1. */
    static void configureHttp1(ChannelPipeline p, String after, ApiContext api, ServerHeaderHandler serverHeader) {
        p.addAfter(after, API, new ApiHandler(api));
        p.addAfter(after, AGGREGATOR, new ApiBodyAggregator(api));
        if (api.frontHandler() != null) {
            p.addAfter(after, FRONT, api.frontHandler().get());
        }
        p.addAfter(after, KEEP_ALIVE, new HttpServerKeepAliveHandler());
        p.addAfter(after, SERVER_HEADER, serverHeader);
    }

    /** The HTTP/2 connection handlers, for prior knowledge ({@link Http2ConnectionInitializer}). */
    static void configureHttp2(ChannelPipeline p, String after, ApiContext api, ServerHeaderHandler serverHeader) {
        // The multiplexer looks up the frame codec when added, so the codec goes in first.
        p.addAfter(after, H2_FRAME_CODEC, http2FrameCodec());
        p.addAfter(H2_FRAME_CODEC, H2_MULTIPLEX, http2Multiplex(api, serverHeader));
    }

    /** One HTTP/2 stream: HTTP/2 frames in and out as HTTP objects, then the same handlers as HTTP/1.1. */
    static void configureStream(Channel stream, ApiContext api, ServerHeaderHandler serverHeader) {
        stream.pipeline()
                .addLast(H2_TO_HTTP, new Http2StreamFrameToHttpObjectCodec(true))
                .addLast(SERVER_HEADER, serverHeader);
        if (api.frontHandler() != null) {
            stream.pipeline().addLast(FRONT, api.frontHandler().get());
        }
        stream.pipeline()
                .addLast(AGGREGATOR, new ApiBodyAggregator(api))
                .addLast(API, new ApiHandler(api));
    }

    private static Http2FrameCodec http2FrameCodec() {
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .initialWindowSize(INITIAL_WINDOW_SIZE))
                .build();
    }

    private static ChannelHandler http2Multiplex(ApiContext api, ServerHeaderHandler serverHeader) {
        return new Http2MultiplexHandler(new Http2StreamInitializer(api, serverHeader));
    }
}
