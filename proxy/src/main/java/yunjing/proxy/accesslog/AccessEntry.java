package yunjing.proxy.accesslog;

/**
 * What one client request did, as the access log writes it (one JSON line, keys in this order). Built on
 * the event loop when the exchange ends; formatted on the log's writer thread.
 *
 * @param startMillis  when the request head was read (epoch ms; written ISO-8601 UTC with ms as {@code time})
 * @param requestId    {@code X-Request-Id}: the client's, or the one this node made up
 * @param client       the client's IP address (the previous tier's on inner nodes; {@code Forwarded} has the chain)
 * @param protocol     {@code HTTP/1.1}, {@code HTTP/1.0}, {@code h2} (over TLS) or {@code h2c}
 * @param tls          whether the connection is TLS
 * @param host         the request's authority ({@code Host}, {@code :authority} or absolute-form), or null
 * @param target       the request-target as received
 * @param status       the status sent, 0 when no response started (the client left first)
 * @param bytes        response body bytes handed to the connection
 * @param durationNanos from the request head read to the end (last byte handed over, failure or client gone)
 * @param firstByteNanos from the request head read to the response head handed over; -1 when none was
 * @param cacheStatus  this node's {@code Cache-Status} member without the node id ({@code hit},
 *                     {@code fwd=miss; stored}, {@code fwd=bypass} …), or null (an answer of the node's own)
 * @param parent       the parent whose response this request got (its own exchange or the fill it started), or null
 * @param userAgent    {@code User-Agent}, or null
 * @param keyId        the API key's id (never the key), for API requests admitted at an edge or forwarded by one
 * @param model        the {@code model} of a chat completion whose body the edge read, else null
 * @param outcome      {@code ok}; {@code aborted}: the client went away first; {@code broken}: the response was
 *                     cut off after it started (parent failed)
 */
public record AccessEntry(long startMillis, String requestId, String client, String protocol, boolean tls,
        String method, String host, String target, int status, long bytes, long durationNanos, long firstByteNanos,
        String cacheStatus, String parent, String userAgent, String keyId, String model, String outcome) {
}
