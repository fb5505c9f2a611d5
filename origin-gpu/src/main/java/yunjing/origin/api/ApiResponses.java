package yunjing.origin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.UncheckedIOException;

/**
 * Builds complete JSON responses. The returned response owns a freshly allocated buffer; whoever writes it
 * passes ownership to Netty, which releases it after sending.
 */
final class ApiResponses {

    private ApiResponses() {}

    static FullHttpResponse json(ByteBufAllocator alloc, ObjectMapper mapper, HttpResponseStatus status,
                                 JsonNode body) {
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // a tree we built always serializes
        }
        ByteBuf content = alloc.buffer(bytes.length + 1).writeBytes(bytes).writeByte('\n');
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    /**
     * The OpenAI error shape: {@code {"error":{"message","type","param","code"}}}, plus, for a request worth
     * retrying, {@code "retry_after_seconds"} beside {@code error} and a {@code Retry-After} header
     * (RFC 9110 §10.2.3), as the proxy tiers send them.
     */
    static FullHttpResponse error(ByteBufAllocator alloc, ObjectMapper mapper, ApiException e) {
        ObjectNode root = mapper.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type);
        error.put("param", e.param);
        error.put("code", e.code);
        if (e.retryAfterSeconds >= 0) {
            root.put("retry_after_seconds", e.retryAfterSeconds);
        }
        FullHttpResponse response = json(alloc, mapper, e.status, root);
        if (e.retryAfterSeconds >= 0) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds));
        }
        if (e.allow != null) {
            response.headers().set(HttpHeaderNames.ALLOW, e.allow);
        }
        return response;
    }
}
