package yunjing.deploy.admin;

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
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Serves the three admin endpoints. Runs on the event loop; every call here is cheap. */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final AdminRole role;
    private final String nodeId;
    private final CacheOperations cache;
    private final AdminToken token;

    AdminHandler(AdminRole role, AdminToken token) {
        this.role = role;
        this.nodeId = role.nodeId();
        this.cache = role.cache();
        this.token = token;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = request.uri().split("\\?", 2)[0];
        if (path.startsWith("/cache/")) {
            cacheOperation(ctx, request, path);
            return;
        }
        if (path.equals("/drain") || path.equals("/undrain")) {
            drain(ctx, request, path.equals("/drain"));
            return;
        }
        AdminEndpoint endpoint = role.endpoints().get(path);
        if (endpoint != null) {
            operation(ctx, request, endpoint);
            return;
        }
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, json("method_not_allowed", "use GET"));
            return;
        }
        switch (path) {
            case "/healthz" -> respond(ctx, request, HttpResponseStatus.OK,
                    "{\"status\":\"alive\",\"node\":\"" + nodeId + "\"}\n");
            case "/readyz" -> {
                Readiness r = role.currentReadiness();
                respond(ctx, request, r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "{\"ready\":" + r.ready() + ",\"node\":\"" + nodeId + "\",\"draining\":" + r.draining()
                                + ",\"detail\":\"" + escape(r.detail()) + "\"}\n");
            }
            case "/metrics" -> {
                FullHttpResponse response = response(HttpResponseStatus.OK,
                        role.registry().scrape(), "text/plain; version=0.0.4; charset=utf-8");
                send(ctx, request, response);
            }
            default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND,
                    json("not_found", "admin endpoints: /healthz /readyz /metrics"));
        }
    }

    /** Drain and undrain change who gets traffic: token required, POST only. */
    private void drain(ChannelHandlerContext ctx, FullHttpRequest request, boolean drain) {
        if (!authorized(ctx, request)) {
            return;
        }
        if (!request.method().equals(HttpMethod.POST)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, json("method_not_allowed", "use POST"));
            return;
        }
        boolean changed = role.drain().set(drain);
        respond(ctx, request, HttpResponseStatus.OK, "{\"node\":\"" + nodeId + "\",\"draining\":" + drain
                + ",\"changed\":" + changed + "}\n");
    }

    /** A role's own operation ({@link AdminRole#endpoints()}): token required, POST only. */
    private void operation(ChannelHandlerContext ctx, FullHttpRequest request, AdminEndpoint endpoint) {
        if (!authorized(ctx, request)) {
            return;
        }
        if (!request.method().equals(HttpMethod.POST)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, json("method_not_allowed", "use POST"));
            return;
        }
        try {
            respond(ctx, request, HttpResponseStatus.OK, endpoint.handle(request.content().toString(StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, json("invalid_request", e.getMessage()));
        } catch (IllegalStateException e) {
            respond(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, json("operation_failed", e.getMessage()));
        }
    }

    private boolean authorized(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (token.accepts(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            return true;
        }
        respond(ctx, request, HttpResponseStatus.UNAUTHORIZED,
                json("invalid_admin_token", "send Authorization: Bearer <token from <state>/admin.token>"));
        return false;
    }

    /** Purge and stats: token required, because purging a whole prefix can empty a node's cache. */
    private void cacheOperation(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        if (cache == null) {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, json("no_cache", nodeId + " has no cache"));
            return;
        }
        if (!authorized(ctx, request)) {
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        switch (path) {
            case "/cache/purge" -> {
                if (!request.method().equals(HttpMethod.POST)) {
                    respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, json("method_not_allowed", "use POST"));
                    return;
                }
                List<String> urls = query.parameters().getOrDefault("url", List.of());
                List<String> prefixes = query.parameters().getOrDefault("prefix", List.of());
                List<String> digests = query.parameters().getOrDefault("digest", List.of());
                if (urls.isEmpty() && prefixes.isEmpty() && digests.isEmpty()) {
                    respond(ctx, request, HttpResponseStatus.BAD_REQUEST,
                            json("missing_target", "give url=…, prefix=… or digest=<sha256>"));
                    return;
                }
                for (String digest : digests) {
                    if (!digest.matches("[0-9a-fA-F]{64}")) {
                        respond(ctx, request, HttpResponseStatus.BAD_REQUEST,
                                json("bad_digest", "digest=" + digest + ": expected a SHA-256 as 64 hex digits"));
                        return;
                    }
                }
                int purged = 0;
                for (String digest : digests) {
                    purged += cache.purgeDigest(digest);
                }
                for (String url : urls) {
                    purged += cache.purge(url);
                }
                for (String prefix : prefixes) {
                    purged += cache.purgePrefix(prefix);
                }
                respond(ctx, request, HttpResponseStatus.OK, "{\"node\":\"" + nodeId + "\",\"purged\":" + purged + "}\n");
            }
            case "/cache/stats" -> {
                StringBuilder body = new StringBuilder("{\"node\":\"").append(nodeId).append('"');
                cache.stats().forEach((name, value) -> body.append(",\"").append(escape(name)).append("\":")
                        .append(value instanceof Number ? value.toString() : "\"" + escape(String.valueOf(value)) + "\""));
                respond(ctx, request, HttpResponseStatus.OK, body.append("}\n").toString());
            }
            default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND,
                    json("not_found", "cache endpoints: POST /cache/purge, GET /cache/stats"));
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
