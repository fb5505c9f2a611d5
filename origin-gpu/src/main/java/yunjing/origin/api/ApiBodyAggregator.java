package yunjing.origin.api;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Collects a request body up to {@code maxBodyBytes} (chat requests carry base64 images of many MiB). A larger
 * body gets a 413 in the OpenAI error shape instead of Netty's empty one, and then the connection (HTTP/1.1) or
 * stream (HTTP/2) is closed: the rest of the body is still on its way and would otherwise be read as the next
 * request (RFC 9110 §15.5.14).
 */
final class ApiBodyAggregator extends HttpObjectAggregator {

    private final ApiContext api;

    ApiBodyAggregator(ApiContext api) {
        super(api.maxBodyBytes());
        this.api = api;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        String endpoint = oversized instanceof HttpRequest r && r.uri().startsWith("/v1/chat/completions")
                ? ChatCompletionTask.ENDPOINT : "other";
        api.metrics().request(endpoint, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code());
        var response = ApiResponses.error(ctx.alloc(), api.json(), new ApiException(
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request_too_large", null,
                "The request body exceeds the limit of " + api.maxBodyBytes() + " bytes."));
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
