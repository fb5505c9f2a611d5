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

    ApiException(HttpResponseStatus status, String code, String param, String message) {
        this(status, status.code() >= 500 ? "server_error" : "invalid_request_error", code, param, message, null);
    }

    ApiException(HttpResponseStatus status, String type, String code, String param, String message) {
        this(status, type, code, param, message, null);
    }

    private ApiException(HttpResponseStatus status, String type, String code, String param, String message,
                         String allow) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.allow = allow;
    }

    static ApiException methodNotAllowed(HttpMethod actual, HttpMethod allowed) {
        return new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "invalid_request_error",
                "method_not_allowed", null, "Method " + actual + " is not allowed here; use " + allowed + ".",
                allowed.name());
    }

    static ApiException badRequest(String param, String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_value", param, message);
    }
}
