package yunjing.proxy.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.List;
import java.util.Locale;

/**
 * Checks that decide whether an HTTP/1.x request's framing can be trusted, so that this node and the
 * next hop cannot disagree about where it ends (request smuggling). Duplicate or invalid Content-Length
 * values are already failed by Netty's decoder (RFC 9112 §6.3 item 5); what is left is checked here. Pure.
 */
final class RequestFraming {

    /** Why a request is refused: status, the error code of the JSON body and the message. */
    record Refusal(HttpResponseStatus status, String code, String message) {
    }

    private RequestFraming() {
    }

    /** The answer to a request the decoder could not read: 414, 431 or 400. */
    static Refusal decoderFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            // RFC 9112 §3: a request-target longer than the server wishes to parse gets 414.
            return new Refusal(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long",
                    "request line longer than " + ServerCodecs.MAX_INITIAL_LINE + " bytes");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            // RFC 6585 §5.
            return new Refusal(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request_header_fields_too_large",
                    "request header fields larger than " + ServerCodecs.MAX_HEADER_BYTES + " bytes");
        }
        return new Refusal(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request: " + cause.getMessage());
    }

    /** Null when the framing of a decoded HTTP/1.x request is unambiguous, else why it is refused. */
    static Refusal check(HttpRequest request) {
        if (request.headers() instanceof FramingCheckedHeaders h && h.contentLengthRemoved()) {
            // RFC 9112 §6.1: Content-Length with Transfer-Encoding "ought to be handled as an error"; an
            // intermediary that forwards it must close afterwards anyway (§6.3 item 3).
            return badRequest("Content-Length together with Transfer-Encoding (RFC 9112 §6.1)");
        }
        List<String> codings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (codings.isEmpty()) {
            return null;
        }
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means its framing is faulty.
            return badRequest("Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)");
        }
        String[] list = String.join(",", codings).split(",", -1);
        String last = list[list.length - 1].strip().toLowerCase(Locale.ROOT);
        if (!last.equals("chunked")) {
            // §6.3 item 4: chunked not final → the length cannot be determined: 400 and close. This covers
            // obfuscations such as "xchunked", "chunked, identity" or a quoted "\"chunked\"".
            return badRequest("Transfer-Encoding must end with chunked (RFC 9112 §6.3): " + String.join(",", codings));
        }
        for (int i = 0; i < list.length - 1; i++) {
            String coding = list[i].strip().toLowerCase(Locale.ROOT);
            if (coding.equals("chunked") || coding.isEmpty()) {
                // RFC 9112 §7: chunked is applied once.
                return badRequest("Transfer-Encoding applies chunked more than once: " + String.join(",", codings));
            }
        }
        if (list.length > 1) {
            // §6.1: a transfer coding we do not implement → 501.
            return new Refusal(HttpResponseStatus.NOT_IMPLEMENTED, "not_implemented",
                    "transfer coding not supported: " + String.join(",", codings));
        }
        return null;
    }

    private static Refusal badRequest(String message) {
        return new Refusal(HttpResponseStatus.BAD_REQUEST, "bad_request", message);
    }
}
