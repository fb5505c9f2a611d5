package yunjing.proxy.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import yunjing.proxy.http.HopByHopHeaders;
import yunjing.proxy.http.ProxyHeaders;

/**
 * Turns a response head from the cache or a parent into the head a client gets: hop-by-hop fields
 * stripped, {@code Via} and {@code X-Request-Id} added, {@code Cache-Status} for a forwarded request, and
 * the framing of a body of unknown length. Shared by {@link ProxyHandler} and the h2 cache-hit path
 * ({@link Http2Hit}) so both send the same head. Stateless.
 */
final class ClientResponseHead {

    private ClientResponseHead() {
    }

    /**
     * Changes {@code response}'s headers in place.
     *
     * @param bypassed      the request was forwarded without a cache lookup
     * @param clientVersion what the client spoke ({@code HTTP/1.1} for h2 streams)
     * @return whether the response announced its length (before any chunked framing was set here)
     */
    static boolean prepare(HttpResponse response, String nodeId, String requestId, boolean bypassed,
            HttpMethod method, HttpVersion clientVersion) {
        HttpHeaders headers = response.headers();
        boolean lengthKnown = HttpUtil.isContentLengthSet(response);
        HopByHopHeaders.strip(headers);
        HttpVersion received = response.protocolVersion();
        ProxyHeaders.appendListMember(headers, HttpHeaderNames.VIA,
                received.majorVersion() + "." + received.minorVersion() + " " + nodeId);
        if (!headers.contains(ProxyHeaders.X_REQUEST_ID)) {
            headers.set(ProxyHeaders.X_REQUEST_ID, requestId);
        }
        if (bypassed) {
            // Forwarded without a cache lookup (RFC 9211 §2.2 fwd=bypass); the cache adds its own entry.
            ProxyHeaders.appendListMember(headers, ProxyHeaders.CACHE_STATUS, nodeId + "; fwd=bypass");
        }
        int code = response.status().code();
        boolean bodyless = HttpMethod.HEAD.equals(method) || code == 204 || code == 304;
        if (!lengthKnown && !bodyless && !clientVersion.equals(HttpVersion.HTTP_1_0)) {
            // Relayed as it arrives, so the length is unknown: chunked to HTTP/1.1 clients (RFC 9112 §6.1),
            // DATA frames to h2 clients (the stream codec drops the header); an HTTP/1.0 client reads to close.
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        return lengthKnown;
    }
}
