package yunjing.proxy.upstream;

import io.netty.handler.codec.http.HttpMethod;

import java.util.Set;

/**
 * Whether a request whose parent connection closed before any response byte may be sent again, and
 * where: the rules {@link UpstreamExchange} lists under failover, as one decision over the facts of the
 * closed attempt. Immutable; the exchange calls it on its event loop.
 *
 * @param cause         the retry cause counted in {@code yunjing.proxy.upstream.retries}
 * @param sameParent    whether the same parent is tried again (on a fresh connection) rather than the next
 * @param parentFailed  whether the close counts against the parent (breaker failure, noted as a reason)
 */
record SafeRetry(String cause, boolean sameParent, boolean parentFailed) {

    /** Methods whose requests may be repeated automatically: https://www.rfc-editor.org/rfc/rfc9110#section-9.2.2 */
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    /** The parent closed before its SETTINGS: it does not speak h2, so the same parent over HTTP/1.1. */
    static final SafeRetry NO_HTTP2 = new SafeRetry("no_http2", true, false);
    /** A reused keep-alive connection the parent most likely closed as we wrote (RFC 9112 §9.3.1). */
    static final SafeRetry STALE_CONNECTION = new SafeRetry("stale_connection", true, false);

    /**
     * The retry for an attempt whose connection closed before any response byte, or null when sending
     * the request again is not safe.
     *
     * @param hasBody        whether the request has a body
     * @param bodyCommitted  whether a body byte (or the end of the body) was written to the parent
     * @param bodyKept       whether every body piece written so far is kept for replay ({@link BodyReplay})
     * @param reused         whether the connection was a reused keep-alive connection
     * @param h2Stream       whether the attempt was an h2 stream
     * @param settingsSeen   over h2, whether the parent's SETTINGS arrived
     * @param notProcessed   over h2, why the parent surely did not process the stream, or null
     */
    static SafeRetry afterClose(HttpMethod method, boolean hasBody, boolean bodyCommitted, boolean bodyKept,
            boolean reused, boolean h2Stream, boolean settingsSeen, String notProcessed) {
        boolean resendable = !hasBody || !bodyCommitted || bodyKept;
        if (h2Stream && resendable && !settingsSeen) {
            return NO_HTTP2;
        }
        if (notProcessed != null && resendable) {
            return new SafeRetry(notProcessed, false, false);
        }
        boolean replayable = hasBody ? !bodyCommitted && bodyKept : IDEMPOTENT.contains(method);
        if (!replayable) {
            return null;
        }
        if (reused) {
            return STALE_CONNECTION;
        }
        return new SafeRetry(hasBody ? "closed_before_body" : "closed_idempotent", false, true);
    }
}
