package yunjing.proxy.llm;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.proxy.http.ErrorResponses;

/**
 * A refused API request: what the client is told, and the {@code reason} tag of
 * {@code yunjing.proxy.api.rejected}.
 *
 * @param retryAfterSeconds for 429: seconds until a retry can succeed; -1 otherwise
 */
public record Rejection(HttpResponseStatus status, String reason, String type, String code, String param,
        String message, long retryAfterSeconds) {

    static Rejection unauthorized(String reason, String code, String message) {
        return new Rejection(HttpResponseStatus.UNAUTHORIZED, reason, "invalid_request_error", code, null, message, -1);
    }

    static Rejection rateLimited(String reason, String message, long retryAfterSeconds) {
        return new Rejection(HttpResponseStatus.TOO_MANY_REQUESTS, reason, "rate_limit_exceeded",
                "rate_limit_exceeded", null, message, retryAfterSeconds);
    }

    static Rejection invalid(HttpResponseStatus status, String reason, String code, String param, String message) {
        return new Rejection(status, reason, "invalid_request_error", code, param, message, -1);
    }

    /** The OpenAI-shaped answer; 401 carries {@code WWW-Authenticate: Bearer} (RFC 6750 §3). */
    public FullHttpResponse toResponse(ByteBufAllocator alloc) {
        FullHttpResponse response = ErrorResponses.openAi(alloc, status, message, type, param, code, retryAfterSeconds);
        if (status.code() == 401) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        return response;
    }
}
