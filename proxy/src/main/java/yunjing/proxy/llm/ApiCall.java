package yunjing.proxy.llm;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import yunjing.proxy.http.ProxyHeaders;

/**
 * One API exchange at a node, from its request head to its end: the key's lease, the answer cache lookup,
 * the usage the origin reports and the exchange's meters. Made by {@link ApiEdge#open}.
 *
 * <h2>Lifecycle</h2>
 * refused ({@link #rejection()} non-null: nothing else is called) or admitted → {@link #prepare} (chat
 * completions on an edge: the body, once whole) → {@link #responseHead} and {@link #responseContent} as the
 * response passes → {@link #end()} or {@link #cancel()}, exactly one of them taking effect. Both release
 * the key's concurrency slot; only {@link #end()} after a complete answer stores it in the answer cache.
 *
 * <p>Confined to the event loop of its exchange.
 */
public final class ApiCall {

    private final ApiEdge edge;
    private final ApiGate.Lease lease;
    private final Rejection rejection;
    private final boolean holdsBody;
    private final String cacheOption;
    private final long startNanos = System.nanoTime();
    private boolean stream;
    private boolean clientAskedUsage;
    private boolean edgeAskedUsage;
    private String answerKey;
    private String model;
    private boolean fromCache;
    private AnswerTap tap;
    private boolean firstByteSeen;
    private boolean streaming;
    private boolean finished;

    ApiCall(ApiEdge edge, ApiGate.Lease lease, Rejection rejection, boolean holdsBody, String cacheOption) {
        this.edge = edge;
        this.lease = lease;
        this.rejection = rejection;
        this.holdsBody = holdsBody;
        this.cacheOption = cacheOption;
        if (rejection == null) {
            edge.metrics().requestStarted();
        }
    }

    /** The chat completion's {@code model} once {@link #prepare} has read the body, else null. */
    public String model() {
        return model;
    }

    /** Non-null when the request is refused; the caller sends {@link Rejection#toResponse} and drops the call. */
    public Rejection rejection() {
        return rejection;
    }

    /** Whether the body is to be collected whole and handed to {@link #prepare} before anything goes upstream. */
    public boolean holdsBody() {
        return holdsBody;
    }

    /**
     * What to do with a whole chat completion body: answer at once ({@code answer}: a 400, or a hit of the
     * answer cache), or send {@code body} upstream, which may differ from the one given.
     */
    public record Forward(FullHttpResponse answer, ByteBuf body) {
    }

    /** Validates the body, looks the answer up, and asks for usage where the edge needs it. Takes {@code body}. */
    public Forward prepare(ByteBuf body, ByteBufAllocator alloc) {
        ApiRequests.ChatBody chat = ApiRequests.parseChat(body);
        if (chat.rejection() != null) {
            body.release();
            edge.gate().rejected(chat.rejection().reason());
            return new Forward(chat.rejection().toResponse(alloc), null);
        }
        JsonNode root = chat.root();
        model = root.path("model").asText(null);
        stream = root.path("stream").isBoolean() && root.get("stream").booleanValue();
        JsonNode includeUsage = root.path("stream_options").path("include_usage");
        clientAskedUsage = stream && includeUsage.isBoolean() && includeUsage.booleanValue();
        if (lease != null && cacheWanted() && AnswerKey.deterministic(root)) {
            answerKey = AnswerKey.of(lease.tenant(), root);
            ChatAnswer hit = edge.answers().get(answerKey);
            if (hit != null) {
                body.release();
                fromCache = true;
                edge.metrics().answerCache("hit");
                FullHttpResponse replay = replay(hit, alloc);
                firstByteSeen = true;
                edge.metrics().firstByte(System.nanoTime() - startNanos, true);
                return new Forward(replay, null);
            }
            edge.metrics().answerCache("miss");
        }
        if (stream && !clientAskedUsage && lease != null
                && (lease.plan().tokensPerMinute() > 0 || answerKey != null)) {
            body = UsageOption.request(body, root, alloc);
            edgeAskedUsage = true;
        }
        return new Forward(null, body);
    }

    private boolean cacheWanted() {
        return "on".equalsIgnoreCase(cacheOption)
                || (lease.plan().answerCache() && !"off".equalsIgnoreCase(cacheOption));
    }

    private FullHttpResponse replay(ChatAnswer hit, ByteBufAllocator alloc) {
        byte[] bytes = stream ? hit.sse(clientAskedUsage) : hit.json();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                alloc.buffer(bytes.length).writeBytes(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, stream ? "text/event-stream; charset=utf-8"
                        : HttpHeaderValues.APPLICATION_JSON.toString())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(ProxyHeaders.CACHE_STATUS, edge.nodeId() + "; hit");
        return response;
    }

    /** Sees the response head before it goes to the client. */
    public void responseHead(HttpResponse response) {
        int code = response.status().code();
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        boolean sse = code == 200 && type.regionMatches(true, 0, "text/event-stream", 0, 17);
        if (sse && !streaming) {
            streaming = true;
            edge.metrics().streamStarted();
        }
        boolean charge = lease != null && lease.plan().tokensPerMinute() > 0;
        boolean collect = answerKey != null && code == 200;
        if (code == 200 && (charge || collect || edgeAskedUsage)) {
            tap = new AnswerTap(sse, edgeAskedUsage, collect);
        }
    }

    /** Takes ownership of {@code content}; returns what to send the client in its place. */
    public HttpContent responseContent(HttpContent content) {
        if (!firstByteSeen && (content.content().isReadable() || content instanceof LastHttpContent)) {
            firstByteSeen = true;
            edge.metrics().firstByte(System.nanoTime() - startNanos, false);
        }
        return tap == null ? content : tap.relay(content);
    }

    /** The exchange ended: its response was sent whole, or ended by an error. */
    public void end() {
        finish(true);
    }

    /** The client went away before the end. */
    public void cancel() {
        if (!finished) {
            edge.metrics().cancelled();
        }
        finish(false);
    }

    private void finish(boolean ended) {
        if (finished) {
            return;
        }
        finished = true;
        edge.metrics().requestEnded();
        if (streaming) {
            edge.metrics().streamEnded();
        }
        if (ended) {
            edge.metrics().duration(System.nanoTime() - startNanos, fromCache);
        }
        if (tap != null && lease != null) {
            long tokens = tap.tokensUsed();
            if (lease.plan().tokensPerMinute() > 0 && tokens > 0) {
                lease.spend(tokens);
                edge.metrics().tokens(tokens);
            }
            ChatAnswer answer = ended && answerKey != null ? tap.answer() : null;
            if (answer != null && edge.answers().put(answerKey, answer)) {
                edge.metrics().answerCache("stored");
            }
        }
        if (lease != null) {
            lease.release();
        }
    }
}
