package yunjing.proxy.server;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import yunjing.proxy.http.HopByHopHeaders;
import yunjing.proxy.http.ProxyHeaders;

import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * Turns a client's request head into the head that goes to the parents: refuses what must not be
 * forwarded (a decoder failure, request smuggling shapes on HTTP/1.x, a target that is not origin- or
 * absolute-form, a missing or repeated Host), strips hop-by-hop fields (and, at an edge, the fields only
 * an edge may set), and adds {@code Via}, {@code X-Request-Id} and {@code Forwarded}; a body of unknown
 * length goes on chunked. One per client connection (or h2 stream), on its event loop; between requests it
 * only keeps the {@code Forwarded} element of the last client address.
 */
final class UpstreamHeads {

    private final Forwarding forwarding;
    private final String scheme;
    private final boolean http2;
    private SocketAddress lastClient;
    private String lastForwarded;

    /**
     * @param scheme {@code http} or {@code https}: what the client used, for {@code Forwarded: proto=}
     * @param http2  whether the requests come from an HTTP/2 stream (else an HTTP/1.x connection)
     */
    UpstreamHeads(Forwarding forwarding, String scheme, boolean http2) {
        this.forwarding = forwarding;
        this.scheme = scheme;
        this.http2 = http2;
    }

    /** This node's {@code Forwarded} element for {@code client}: the same for every request of a connection. */
    private String forwardedElement(SocketAddress client) {
        if (client != lastClient || lastForwarded == null) {
            lastForwarded = ProxyHeaders.forwardedElement(client, forwarding.nodeId(), scheme);
            lastClient = client;
        }
        return lastForwarded;
    }

    /** The head to send upstream; {@code request}'s headers are reused (and changed), not copied. */
    HttpRequest of(HttpRequest request, String requestId, SocketAddress client) throws BadRequestException {
        if (request.decoderResult().isFailure()) {
            throw new BadRequestException(RequestFraming.decoderFailure(request.decoderResult().cause()));
        }
        if (!http2) {
            RequestFraming.Refusal refusal = RequestFraming.check(request);
            if (refusal != null) {
                throw new BadRequestException(refusal);
            }
        }
        HttpHeaders headers = request.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        String target = request.uri();
        String authority = null;
        if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8)) {
            // absolute-form: the target's authority replaces Host (RFC 9112 §3.2.2); forward origin-form.
            try {
                URI uri = new URI(target);
                authority = uri.getRawAuthority();
                String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
                target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
            } catch (URISyntaxException e) {
                throw new BadRequestException("malformed request-target: " + e.getMessage());
            }
        } else if (!target.startsWith("/") && !(target.equals("*") && HttpMethod.OPTIONS.equals(request.method()))) {
            throw new BadRequestException("request-target must be origin-form (RFC 9112 §3.2.1)");
        }
        if (authority == null) {
            // h2 requests carry :authority, which the stream codec turned into Host.
            List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
            if (hosts.size() != 1 || hosts.get(0).isBlank()) {
                throw new BadRequestException((hosts.isEmpty() ? "missing" : "more than one")
                        + " Host header (RFC 9112 §3.2)");
            }
            authority = hosts.get(0).strip();
        }
        boolean teTrailers = HopByHopHeaders.strip(headers);
        if (forwarding.api().gate().active()) {
            // An edge is where clients enter: only it may say which key and priority a request has.
            headers.remove(ProxyHeaders.X_YUNJING_PRIORITY);
            headers.remove(ProxyHeaders.X_YUNJING_KEY_ID);
            headers.remove(ProxyHeaders.X_YUNJING_AFFINITY);
        }
        headers.set(HttpHeaderNames.HOST, authority);
        String receivedProtocol = http2 ? "2"
                : request.protocolVersion().majorVersion() + "." + request.protocolVersion().minorVersion();
        ProxyHeaders.appendListMember(headers, HttpHeaderNames.VIA, receivedProtocol + " " + forwarding.nodeId());
        headers.set(ProxyHeaders.X_REQUEST_ID, requestId);
        ProxyHeaders.appendListMember(headers, ProxyHeaders.FORWARDED, forwardedElement(client));
        if (teTrailers) {
            // TE is hop-by-hop, but "trailers" may be passed on, with its connection option (RFC 9110 §10.1.4).
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderNames.TE);
        }
        boolean bodyFollows = !(request instanceof FullHttpRequest) && (chunked || http2);
        if (!HttpUtil.isContentLengthSet(request) && bodyFollows) {
            // A body of unknown length goes upstream chunked (RFC 9112 §7.1).
            HttpUtil.setTransferEncodingChunked(request, true);
        } else if (request instanceof FullHttpRequest full && full.content().isReadable()
                && !HttpUtil.isContentLengthSet(request)) {
            HttpUtil.setContentLength(request, full.content().readableBytes());
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), target, headers);
    }
}
