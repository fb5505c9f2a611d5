package yunjing.proxy.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import yunjing.proxy.accesslog.AccessEntry;
import yunjing.proxy.http.ProxyHeaders;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What the access log and the fill meters need to know about one exchange, gathered while it runs:
 * timings, status, body bytes, this node's {@code Cache-Status}. {@link #finish} takes effect once, so
 * an exchange that ends and then sees its client go is logged exactly once. Confined to the event loop.
 */
final class ExchangeRecord {

    private final long startNanos = System.nanoTime();
    private final long startMillis = System.currentTimeMillis();
    private final String requestId;
    private final String method;
    private final String target;
    private final String userAgent;
    private HttpHeaders forwardedHeaders;
    private String host;
    private int status;
    private long bytes;
    private long firstByteNanos = -1;
    private String cacheStatus;
    /** The length of the representation stored, when this exchange's response was stored; else -1. */
    private long storedLength = -1;
    private boolean stored;
    private boolean finished;

    ExchangeRecord(String requestId, HttpRequest request) {
        this.requestId = requestId;
        this.method = request.method().name();
        this.target = request.uri();
        this.userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
        this.host = request.headers().get(HttpHeaderNames.HOST);
    }

    /** The request as it goes on: its {@code Host} is the authority, and an edge set the key id in it. */
    void forwarded(HttpHeaders headers) {
        forwardedHeaders = headers;
        host = headers.get(HttpHeaderNames.HOST);
    }

    /** The response head is handed to the connection; its {@code Cache-Status} has this node's member. */
    void responseHead(int code, HttpHeaders headers, String nodeId) {
        status = code;
        firstByteNanos = System.nanoTime() - startNanos;
        cacheStatus = ProxyHeaders.cacheStatusOf(headers.get(ProxyHeaders.CACHE_STATUS), nodeId);
        stored = cacheStatus != null && hasParameter(cacheStatus, "stored");
        if (stored) {
            storedLength = code == 206 ? completeLength(headers.get(HttpHeaderNames.CONTENT_RANGE))
                    : parseLength(headers.get(HttpHeaderNames.CONTENT_LENGTH));
        }
    }

    void body(long count) {
        bytes += count;
    }

    private static boolean hasParameter(String member, String name) {
        for (String parameter : member.split(";")) {
            if (parameter.strip().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Bytes of the representation this exchange stored (its body when the head did not say). */
    private long storedBytes() {
        return storedLength >= 0 ? storedLength : bytes;
    }

    /**
     * Ends the exchange, once (later calls do nothing): a completed fill is counted, and the access log gets
     * its line.
     *
     * @param ownParent the parent the exchange forwarded to itself, or null (then the one that answered its
     *                  fill, if any, is named)
     */
    void end(Forwarding forwarding, SocketAddress client, boolean tls, boolean http2, HttpVersion clientVersion,
            String ownParent, String model, String outcome) {
        if (finished) {
            return;
        }
        finished = true;
        if (stored && outcome.equals("ok")) {
            forwarding.metrics().cacheFilled(storedBytes());
        }
        if (!forwarding.accessLog().enabled()) {
            return;
        }
        String traced = forwarding.parents().take(requestId);
        String protocol = http2 ? (tls ? "h2" : "h2c")
                : "HTTP/" + clientVersion.majorVersion() + "." + clientVersion.minorVersion();
        forwarding.accessLog().log(entry(client, protocol, tls, ownParent != null ? ownParent : traced, model, outcome));
    }

    private AccessEntry entry(SocketAddress client, String protocol, boolean tls, String parent, String model, String outcome) {
        String keyId = forwardedHeaders == null ? null : forwardedHeaders.get(ProxyHeaders.X_YUNJING_KEY_ID);
        String address = client instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(client);
        return new AccessEntry(startMillis, requestId, address, protocol, tls, method, host, target, status, bytes,
                System.nanoTime() - startNanos, firstByteNanos, cacheStatus, parent, userAgent, keyId, model, outcome);
    }

    /** The complete length of {@code bytes a-b/length}, or -1. */
    private static long completeLength(String contentRange) {
        int slash = contentRange == null ? -1 : contentRange.lastIndexOf('/');
        return slash < 0 ? -1 : parseLength(contentRange.substring(slash + 1));
    }

    private static long parseLength(String value) {
        try {
            return value == null ? -1 : Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
