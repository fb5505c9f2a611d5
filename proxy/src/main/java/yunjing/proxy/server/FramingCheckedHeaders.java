package yunjing.proxy.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Request headers of the HTTP/1.1 decoder that remember whether the decoder removed a Content-Length.
 * Netty's decoder, given both Transfer-Encoding: chunked and Content-Length, drops the Content-Length and
 * reads chunked (RFC 9112 §6.3 item 3 allows that); a proxy that does so may disagree with the next hop
 * about where the message ends (request smuggling), so {@link RequestFraming} refuses such requests, and
 * needs this flag to see them. Names and values are validated as by the default factory.
 */
final class FramingCheckedHeaders extends DefaultHttpHeaders {

    static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new FramingCheckedHeaders();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new FramingCheckedHeaders();
        }
    };

    /** Set when a Content-Length field was removed; confined to the connection's event loop. */
    private boolean contentLengthRemoved;

    boolean contentLengthRemoved() {
        return contentLengthRemoved;
    }

    @Override
    public HttpHeaders remove(String name) {
        noteRemoval(name);
        return super.remove(name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        noteRemoval(name);
        return super.remove(name);
    }

    private void noteRemoval(CharSequence name) {
        if (!contentLengthRemoved && HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name) && contains(name)) {
            contentLengthRemoved = true;
        }
    }
}
