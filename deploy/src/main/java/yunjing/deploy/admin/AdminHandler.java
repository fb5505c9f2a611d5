package yunjing.deploy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** Serves the three admin endpoints. Runs on the event loop; every call here is cheap. */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final String nodeId;
    private final PrometheusMeterRegistry registry;
    private final Supplier<Readiness> readiness;

    AdminHandler(String nodeId, PrometheusMeterRegistry registry, Supplier<Readiness> readiness) {
        this.nodeId = nodeId;
        this.registry = registry;
        this.readiness = readiness;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = request.uri().split("\\?", 2)[0];
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, json("method_not_allowed", "use GET"));
            return;
        }
        switch (path) {
            case "/healthz" -> respond(ctx, request, HttpResponseStatus.OK,
                    "{\"status\":\"alive\",\"node\":\"" + nodeId + "\"}\n");
            case "/readyz" -> {
                Readiness r = readiness.get();
                respond(ctx, request, r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "{\"ready\":" + r.ready() + ",\"node\":\"" + nodeId + "\",\"detail\":\""
                                + escape(r.detail()) + "\"}\n");
            }
            case "/metrics" -> {
                FullHttpResponse response = response(HttpResponseStatus.OK,
                        registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
                send(ctx, request, response);
            }
            default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND,
                    json("not_found", "admin endpoints: /healthz /readyz /metrics"));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String body) {
        send(ctx, request, response(status, body, "application/json"));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body, String contentType) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        if (request.method().equals(HttpMethod.HEAD)) {
            response.content().clear();
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String json(String code, String message) {
        return "{\"error\":{\"message\":\"" + escape(message) + "\",\"type\":\"invalid_request_error\",\"code\":\"" + code + "\"}}\n";
    }

    private static String escape(String text) {
        return text == null ? "" : text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }
}
