package yunjing.deploy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Serves the admin endpoints of one connection. Runs on the event loop; every call here is cheap, except
 * {@code POST /cache/warm}, which is answered when its fetches are done (the connection is not closed
 * for idleness meanwhile).
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AdminRole role;
    private final String nodeId;
    private final CacheOperations cache;
    private final AdminToken token;
    /** Warm requests of this connection still running. Event loop only. */
    private int warming;

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
            case "/cache/warm" -> warm(ctx, request);
            case "/cache/stats" -> {
                StringBuilder body = new StringBuilder("{\"node\":\"").append(nodeId).append('"');
                cache.stats().forEach((name, value) -> body.append(",\"").append(escape(name)).append("\":")
                        .append(value instanceof Number ? value.toString() : "\"" + escape(String.valueOf(value)) + "\""));
                respond(ctx, request, HttpResponseStatus.OK, body.append("}\n").toString());
            }
            default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND,
                    json("not_found", "cache endpoints: POST /cache/purge, POST /cache/warm, GET /cache/stats"));
        }
    }

    /**
     * {@code POST /cache/warm} with a JSON array of URLs (or {@code {"urls": [...]}}): fetched through the
     * node's cache; the answer lists each URL's status, bytes and Cache-Status once all are done.
     */
    private void warm(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.method().equals(HttpMethod.POST)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, json("method_not_allowed", "use POST"));
            return;
        }
        CompletableFuture<List<Map<String, Object>>> running;
        try {
            running = cache.warm(warmUrls(request.content().toString(StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, json("invalid_request", e.getMessage()));
            return;
        }
        warming++;
        // The request is released when this returns; its method and keep-alive are all the answer needs.
        HttpRequest head = new DefaultHttpRequest(request.protocolVersion(),
                request.method(), request.uri(), request.headers().copy());
        running.whenComplete((results, failure) -> ctx.executor().execute(() -> {
            warming--;
            if (failure != null) {
                respond(ctx, head, HttpResponseStatus.INTERNAL_SERVER_ERROR, json("operation_failed", failure.getMessage()));
                return;
            }
            ObjectNode body = JSON.createObjectNode().put("node", nodeId).put("urls", results.size());
            long cached = results.stream().filter(r -> Boolean.TRUE.equals(r.get("cached"))).count();
            body.put("cached", cached).put("failed", results.size() - cached);
            body.set("results", JSON.valueToTree(results));
            respond(ctx, head, HttpResponseStatus.OK, body.toString() + "\n");
        }));
    }

    /** The URLs of a warm request body; an IllegalArgumentException says what is wrong with it. */
    static List<String> warmUrls(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            root = null;
        }
        JsonNode urls = root != null && root.isObject() ? root.get("urls") : root;
        if (urls == null || !urls.isArray()) {
            throw new IllegalArgumentException("body: expected a JSON array of URLs, or {\"urls\": [...]}");
        }
        List<String> out = new ArrayList<>(urls.size());
        for (int i = 0; i < urls.size(); i++) {
            if (!urls.get(i).isTextual()) {
                throw new IllegalArgumentException("urls[" + i + "]: " + urls.get(i) + " (expected: a string)");
            }
            out.add(urls.get(i).textValue());
        }
        return out;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && warming > 0) {
            return;   // quiet because a warm request is still fetching, not because the client left
        }
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private static void respond(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String body) {
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

    private static void send(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response) {
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
