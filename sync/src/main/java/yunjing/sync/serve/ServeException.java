package yunjing.sync.serve;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A request the artifact handler refuses, with the status and the Hugging Face error code
 * ({@code X-Error-Code}: {@code RepoNotFound}, {@code RevisionNotFound}, {@code EntryNotFound},
 * {@code BadRequest}) that hub clients look at.
 */
final class ServeException extends Exception {
    private final HttpResponseStatus status;
    private final String errorCode;

    ServeException(HttpResponseStatus status, String errorCode, String message) {
        super(message, null, false, false);
        this.status = status;
        this.errorCode = errorCode;
    }

    HttpResponseStatus status() {
        return status;
    }

    String errorCode() {
        return errorCode;
    }

    static ServeException badRequest(String message) {
        return new ServeException(HttpResponseStatus.BAD_REQUEST, "BadRequest", message);
    }
}
