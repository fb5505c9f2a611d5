package yunjing.proxy.server;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A request the proxy refuses to forward; the message goes to the client in the 400 body. */
final class BadRequestException extends Exception {
    final RequestFraming.Refusal refusal;

    BadRequestException(String message) {
        this(new RequestFraming.Refusal(HttpResponseStatus.BAD_REQUEST,
                "bad_request", message));
    }

    BadRequestException(RequestFraming.Refusal refusal) {
        super(refusal.message(), null, false, false);
        this.refusal = refusal;
    }
}
