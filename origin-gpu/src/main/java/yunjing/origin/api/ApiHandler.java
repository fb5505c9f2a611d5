package yunjing.origin.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import yunjing.origin.ModelSpec;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;

/**
 * Routes requests of one HTTP/1.1 connection or one HTTP/2 stream (both arrive as {@link FullHttpRequest}s):
 * <ul>
 *   <li>{@code GET /v1/models}, {@code GET /v1/models/{id}}: answered here;</li>
 *   <li>{@code POST /v1/chat/completions}: parsed and validated here, then run as a {@link ChatCompletionTask}
 *       on the inference executor, which submits it to the model's scheduler at the priority of
 *       {@code X-Yunjing-Priority};</li>
 *   <li>anything else: 404, or 405 with {@code Allow} for a known path and another method.</li>
 * </ul>
 *
 * <p>Runs on the event loop; all fields are confined to it. One request is handled at a time: while a
 * completion runs, reading stops ({@code autoRead} off) and requests already decoded (HTTP/1.1 pipelining) wait
 * in {@link #queued}, so responses go out in request order (RFC 9112 §9.3.2).
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final String MODELS = "/v1/models";
    private static final String MODELS_PREFIX = "/v1/models/";
    private static final String CHAT_COMPLETIONS = "/v1/chat/completions";
    static final String MODELS_CACHE_CONTROL = "public, max-age=60";

    private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());

    private final ApiContext api;
    /** Pipelined requests waiting for the running completion; each holds one reference, released on use. */
    private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
    private boolean busy;

    ApiHandler(ApiContext api) {
        super(false); // this handler releases each request itself, possibly after queueing it
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (busy) {
            queued.add(request);
            return;
        }
        try {
            handle(ctx, request);
        } finally {
            request.release();
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        long receivedNanos = System.nanoTime();
        String endpoint = "other";
        try {
            if (!request.decoderResult().isSuccess()) {
                throw new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_request", null,
                        "Malformed HTTP request: " + request.decoderResult().cause());
            }
            String path = new QueryStringDecoder(request.uri()).path();
            HttpMethod method = request.method();
            if (path.equals(MODELS)) {
                endpoint = "models";
                requireMethod(method, HttpMethod.GET);
                respond(ctx, endpoint, cacheable(ApiResponses.json(ctx.alloc(), api.json(), HttpResponseStatus.OK,
                        modelList())));
            } else if (path.startsWith(MODELS_PREFIX)) {
                endpoint = "model";
                requireMethod(method, HttpMethod.GET);
                // Ids may contain '/' (e.g. meta-llama/Llama-3.2-1B): everything after the prefix is the id.
                ServedModel model = model(QueryStringDecoder.decodeComponent(path.substring(MODELS_PREFIX.length())));
                respond(ctx, endpoint, cacheable(ApiResponses.json(ctx.alloc(), api.json(), HttpResponseStatus.OK,
                        modelObject(model))));
            } else if (path.equals(CHAT_COMPLETIONS)) {
                endpoint = ChatCompletionTask.ENDPOINT;
                requireMethod(method, HttpMethod.POST);
                ChatCompletionRequest chat = ChatRequestParser.parse(api.json(), request.content());
                ServedModel model = model(chat.model());
                checkImages(model, chat);
                startCompletion(ctx, model, chat, priority(request), receivedNanos);
            } else {
                throw new ApiException(HttpResponseStatus.NOT_FOUND, "not_found", null,
                        "Unknown path: " + method + " " + path);
            }
        } catch (ApiException e) {
            respond(ctx, endpoint, ApiResponses.error(ctx.alloc(), api.json(), e));
        }
    }

    private void startCompletion(ChannelHandlerContext ctx, ServedModel model, ChatCompletionRequest chat,
                                 int priority, long receivedNanos) throws ApiException {
        busy = true;
        ctx.channel().config().setAutoRead(false);
        Runnable onDone = () -> {
            try {
                ctx.executor().execute(() -> finished(ctx));
            } catch (RejectedExecutionException loopGone) {
                // The event loop is shutting down, and this connection with it: nothing left to resume.
            }
        };
        try {
            api.inference().execute(new ChatCompletionTask(api, ctx, model, chat, priority, receivedNanos, onDone));
        } catch (RejectedExecutionException e) {
            busy = false;
            ctx.channel().config().setAutoRead(true);
            throw ApiException.retryLater(HttpResponseStatus.SERVICE_UNAVAILABLE, "server_error", "overloaded",
                    "The origin is overloaded or shutting down; retry later.", 1);
        }
    }

    // --- scheduler priority (begin) ---
    /** The plan priority the proxy tiers send; requests that come without one rank as the free plan. */
    static final String PRIORITY_HEADER = "X-Yunjing-Priority";
    static final int DEFAULT_PRIORITY = 1;
    static final int MAX_PRIORITY = 1000;

    /** {@value #PRIORITY_HEADER}: an integer in 0..{@value #MAX_PRIORITY}, higher first; absent means free. */
    static int priority(FullHttpRequest request) throws ApiException {
        String value = request.headers().get(PRIORITY_HEADER);
        if (value == null) {
            return DEFAULT_PRIORITY;
        }
        try {
            int p = Integer.parseInt(value.trim());
            if (p >= 0 && p <= MAX_PRIORITY) {
                return p;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        String shown = value.length() > 20 ? value.substring(0, 20) + "…" : value;
        throw new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_priority", null, PRIORITY_HEADER
                + ": '" + shown + "' (expected: an integer in 0.." + MAX_PRIORITY + ")");
    }
    // --- scheduler priority (end) ---

    /** Runs on the event loop after a completion's last write was issued. */
    private void finished(ChannelHandlerContext ctx) {
        busy = false;
        while (!busy && !queued.isEmpty()) {
            FullHttpRequest next = queued.poll();
            try {
                handle(ctx, next);
            } finally {
                next.release();
            }
        }
        if (!busy) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Text-only models refuse image parts unless configured to drop them: a silently unseen screenshot misleads. */
    private void checkImages(ServedModel model, ChatCompletionRequest chat) throws ApiException {
        if (chat.imageParts() == 0) {
            return;
        }
        if (model.images() == ModelSpec.ImageParts.REFUSE) {
            throw ApiException.badRequest("messages", "Model '" + model.id() + "' does not support images ("
                    + chat.imageParts() + " image_url part(s) in the request).");
        }
        api.metrics().imagePartsDropped(model.id(), chat.imageParts());
    }

    private ServedModel model(String id) throws ApiException {
        ServedModel model = api.models().get(id);
        if (model == null) {
            throw new ApiException(HttpResponseStatus.NOT_FOUND, "model_not_found", "model",
                    "The model '" + id + "' does not exist; GET " + MODELS + " lists the models served here.");
        }
        return model;
    }

    private static void requireMethod(HttpMethod actual, HttpMethod allowed) throws ApiException {
        if (!actual.equals(allowed)) {
            throw ApiException.methodNotAllowed(actual, allowed);
        }
    }

    private ObjectNode modelList() {
        ObjectNode root = api.json().createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        api.models().values().forEach(m -> data.add(modelObject(m)));
        return root;
    }

    private ObjectNode modelObject(ServedModel m) {
        ObjectNode o = api.json().createObjectNode();
        o.put("id", m.id());
        o.put("object", "model");
        o.put("created", m.created());
        o.put("owned_by", "yunjing");
        o.put("max_model_len", m.contextLength());
        if (m.revision() != null) {
            o.put("revision", m.revision());
        }
        return o;
    }

    /** Connection reuse is {@link io.netty.handler.codec.http.HttpServerKeepAliveHandler}'s business (h1). */
    /**
     * Model metadata is the same for every key and changes only on redeploy: {@code public} lets the mirror's
     * shared caches store it although the request carries Authorization (RFC 9111 §3.5); edges check the key
     * before their cache, so no unauthenticated client gets it.
     */
    private static FullHttpResponse cacheable(FullHttpResponse response) {
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, MODELS_CACHE_CONTROL);
        return response;
    }

    private void respond(ChannelHandlerContext ctx, String endpoint, FullHttpResponse response) {
        api.metrics().request(endpoint, response.status().code());
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Mostly resets by clients that went away; the connection is done either way.
        LOG.log(System.Logger.Level.DEBUG, () -> "closing " + ctx.channel() + ": " + cause);
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        FullHttpRequest r;
        while ((r = queued.poll()) != null) {
            r.release();
        }
    }
}
