package yunjing.proxy.server;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The HTTP/1.1 server codec with the node's limits, the same on cleartext and TLS connections. A request
 * line over {@link #MAX_INITIAL_LINE} is answered 414 and headers over {@link #MAX_HEADER_BYTES} 431 by
 * {@link ProxyHandler}, which also refuses ambiguous framing ({@link RequestFraming}).
 */
final class ServerCodecs {

    /** Request line limit: long enough for long query strings (RFC 9112 §3 recommends at least 8000). */
    static final int MAX_INITIAL_LINE = 16 * 1024;
    static final int MAX_HEADER_BYTES = 32 * 1024;

    private ServerCodecs() {
    }

    static HttpServerCodec http1() {
        return new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADER_BYTES)
                .setHeadersFactory(FramingCheckedHeaders.FACTORY));
    }
}
