package yunjing.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * Responses the proxy makes itself, in the OpenAI error shape API clients already parse:
 * {@code {"error":{"message":"…","type":"…","code":"…"}}}.
 */
public final class ErrorResponses {

    private ErrorResponses() {
    }

    /** 400: the client's request could not be parsed or is not allowed (RFC 9110 §15.5.1). */
    public static FullHttpResponse badRequest(ByteBufAllocator alloc, String message) {
        return error(alloc, HttpResponseStatus.BAD_REQUEST, message, "invalid_request_error", "bad_request");
    }

    /** 502: no parent could be reached, or the one reached failed (RFC 9110 §15.6.3). */
    public static FullHttpResponse badGateway(ByteBufAllocator alloc, String message) {
        return error(alloc, HttpResponseStatus.BAD_GATEWAY, message, "upstream_error", "bad_gateway");
    }

    /** 504: parents did not answer in time (RFC 9110 §15.6.5). */
    public static FullHttpResponse gatewayTimeout(ByteBufAllocator alloc, String message) {
        return error(alloc, HttpResponseStatus.GATEWAY_TIMEOUT, message, "upstream_error", "gateway_timeout");
    }

    /**
     * A complete response with a JSON body; the caller owns the returned message (and its buffer) until
     * it writes it.
     */
    public static FullHttpResponse error(
            ByteBufAllocator alloc, HttpResponseStatus status, String message, String type, String code) {
        return json(alloc, status, "{\"error\":{\"message\":" + quote(message) + ",\"type\":" + quote(type)
                + ",\"code\":" + quote(code) + "}}");
    }

    /** A complete, uncacheable JSON response; the caller owns it until it writes it. */
    private static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    /**
     * The full OpenAI error shape, {@code {"error":{"message","type","param","code"}}}, plus
     * {@code "retry_after_seconds":N} (in the error object and beside it) and a {@code Retry-After} header
     * (RFC 9110 §10.2.3) when {@code retryAfterSeconds >= 0}. The caller owns the returned message until it writes it.
     *
     * @param param the request parameter at fault, or null (written as JSON null)
     */
    public static FullHttpResponse openAi(ByteBufAllocator alloc, HttpResponseStatus status, String message,
            String type, String param, String code, long retryAfterSeconds) {
        // retry_after_seconds sits at the top level (the seed's shape) and inside "error", the only object
        // OpenAI SDKs hand to their callers (e.g. the Java SDK's RateLimitException.body()).
        String retryAfter = retryAfterSeconds >= 0 ? ",\"retry_after_seconds\":" + retryAfterSeconds : "";
        FullHttpResponse response = json(alloc, status, "{\"error\":{\"message\":" + quote(message)
                + ",\"type\":" + quote(type) + ",\"param\":" + (param == null ? "null" : quote(param))
                + ",\"code\":" + quote(code) + retryAfter + "}" + retryAfter + "}");
        if (retryAfterSeconds >= 0) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfterSeconds));
        }
        return response;
    }

    /**
     * A server-sent event carrying an error in the same shape, {@code data: {"error":{…}}}, for a stream
     * that cannot go on; the caller owns the returned buffer. OpenAI's SDKs raise such an event as an
     * API error rather than returning a silently truncated answer.
     */
    public static ByteBuf sseErrorEvent(ByteBufAllocator alloc, String message, String type, String code) {
        String event = "data: {\"error\":{\"message\":" + quote(message) + ",\"type\":" + quote(type)
                + ",\"code\":" + quote(code) + "}}\n\n";
        byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    /** A JSON string literal (RFC 8259 §7). */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
