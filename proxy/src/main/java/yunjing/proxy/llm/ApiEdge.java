package yunjing.proxy.llm;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.metrics.ApiMetrics;

/**
 * The OpenAI-compatible API ({@code /v1/}) as one node serves it: where each API exchange starts
 * ({@link #open}), with what the node's exchanges share: the key gate, the answer cache and the meters.
 * One per node; thread-safe.
 *
 * <p>On a node with keys (an edge) a request is checked before anything goes upstream: known path, key and
 * plan limits, body size. On other nodes an exchange is only timed.
 */
public final class ApiEdge {

    /** Request header that turns the answer cache on or off for one request: {@code on} or {@code off}. */
    public static final String X_YUNJING_CACHE = "x-yunjing-cache";

    private final String nodeId;
    private final ApiGate gate;
    private final AnswerCache answers;
    private final ApiMetrics metrics;

    public ApiEdge(String nodeId, ApiGate gate, AnswerCache answers, ApiMetrics metrics) {
        this.nodeId = nodeId;
        this.gate = gate;
        this.answers = answers;
        this.metrics = metrics;
    }

    public ApiGate gate() {
        return gate;
    }

    /**
     * Starts an API exchange for {@code head}, the request as it will go upstream (client copies of the
     * edge's own headers already removed); sets the key id and priority headers on it when admitted.
     *
     * @param contentLength the request's declared length, or -1
     * @return null when {@code head} is not an API request; else a call, which may be a refusal
     */
    public ApiCall open(HttpMethod method, HttpRequest head, long contentLength) {
        if (!ApiRequests.isApi(head.uri())) {
            return null;
        }
        if (!gate.active()) {
            return new ApiCall(this, null, null, false, null);
        }
        Rejection refusal = ApiRequests.checkPath(method, head.uri());
        ApiGate.Lease lease = null;
        if (refusal != null) {
            gate.rejected(refusal.reason());
        } else {
            ApiGate.Admission admission = gate.admit(head.headers().get(HttpHeaderNames.AUTHORIZATION));
            refusal = admission.rejection();
            lease = admission.lease();
        }
        boolean holdsBody = ApiRequests.validatesBody(method, head.uri());
        if (refusal == null && holdsBody && contentLength > ApiAccess.MAX_CHAT_BODY_BYTES) {
            refusal = ApiRequests.tooLarge();
            gate.rejected(refusal.reason());
            lease.release();
        }
        if (refusal != null) {
            return new ApiCall(this, null, refusal, false, null);
        }
        // Only the edge's own values travel upstream (client copies were stripped by the caller).
        head.headers().set(ProxyHeaders.X_YUNJING_PRIORITY, Integer.toString(lease.priority()));
        head.headers().set(ProxyHeaders.X_YUNJING_KEY_ID, lease.keyId());
        String cacheOption = head.headers().get(X_YUNJING_CACHE);
        head.headers().remove(X_YUNJING_CACHE);
        return new ApiCall(this, lease, null, holdsBody, cacheOption);
    }

    String nodeId() {
        return nodeId;
    }

    AnswerCache answers() {
        return answers;
    }

    ApiMetrics metrics() {
        return metrics;
    }
}
