package yunjing.origin.api;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.Serial;

/**
 * A request the API refuses, carrying what the OpenAI error object needs. Thrown while parsing and routing,
 * turned into a response by {@link ApiResponses#error}; never escapes to Netty.
 */
final class ApiException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    final transient HttpResponseStatus status;
    final String type;
    final String code;
    final String param;
    /** The {@code Allow} header value of a 405 (RFC 9110 §15.5.6), else null. */
    final String allow;
    /** Seconds for {@code Retry-After} and {@code retry_after_seconds} of a 429/503, else -1. */
    final long retryAfterSeconds;

    ApiException(HttpResponseStatus status, String code, String param, String message) {
        this(status, status.code() >= 500 ? "server_error" : "invalid_request_error", code, param, message, null, -1);
    }

    ApiException(HttpResponseStatus status, String type, String code, String param, String message) {
        this(status, type, code, param, message, null, -1);
    }

    private ApiException(HttpResponseStatus status, String type, String code, String param, String message,
                         String allow, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.allow = allow;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** A 429 or 503 the client may retry after {@code retryAfterSeconds}. */
    static ApiException retryLater(HttpResponseStatus status, String type, String code, String message,
                                   long retryAfterSeconds) {
        return new ApiException(status, type, code, null, message, null, retryAfterSeconds);
    }

    static ApiException methodNotAllowed(HttpMethod actual, HttpMethod allowed) {
        return new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "invalid_request_error",
                "method_not_allowed", null, "Method " + actual + " is not allowed here; use " + allowed + ".",
                allowed.name(), -1);
    }

    static ApiException badRequest(String param, String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_value", param, message);
    }
}
