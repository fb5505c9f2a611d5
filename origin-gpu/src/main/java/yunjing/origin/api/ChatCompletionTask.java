package yunjing.origin.api;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.origin.engine.FinishReason;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.GenerationResult;
import yunjing.origin.sched.RejectedException;
import yunjing.origin.sched.SequenceListener;

import java.lang.System.Logger.Level;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One chat completion. Runs on the inference executor: tokenize the conversation, check it fits the context and
 * submit it to the model's scheduler, which answers at once with admission (or a refusal: 429/503 with
 * {@code Retry-After}, 400). Generation then happens on the scheduler thread, which calls the {@link Listener}:
 * it writes either one {@code chat.completion} or an event stream of chunks. The stream's headers go out with
 * the first token, so a request that times out in the queue still gets a proper 503.
 *
 * <p>The scheduler stops the generation at its next step once the channel is inactive (HTTP/1.1 connection
 * closed, HTTP/2 stream reset: the stream channel closes). {@code onDone} runs exactly once, after the last write
 * was issued.
 */
final class ChatCompletionTask implements Runnable {

    static final int DEFAULT_MAX_TOKENS = 256;
    static final String ENDPOINT = "chat_completions";
    private static final System.Logger LOG = System.getLogger(ChatCompletionTask.class.getName());

    private final ApiContext api;
    private final ChannelHandlerContext ctx;
    private final ServedModel model;
    private final ChatCompletionRequest request;
    private final int priority;
    private final long receivedNanos;
    private final Runnable onDone;

    ChatCompletionTask(ApiContext api, ChannelHandlerContext ctx, ServedModel model, ChatCompletionRequest request,
                       int priority, long receivedNanos, Runnable onDone) {
        this.api = api;
        this.ctx = ctx;
        this.model = model;
        this.request = request;
        this.priority = priority;
        this.receivedNanos = receivedNanos;
        this.onDone = onDone;
    }

    @Override
    public void run() {
        boolean submitted = false;
        try {
            if (ctx.channel().isActive()) {
                submit();
                submitted = true;
            }
        } catch (ApiException e) {
            respond(ApiResponses.error(ctx.alloc(), api.json(), e));
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "chat completion for model " + model.id() + " failed", e);
            respond(ApiResponses.error(ctx.alloc(), api.json(), internalError(e)));
        } finally {
            if (!submitted) {
                onDone.run();
            }
        }
    }

    private void submit() throws ApiException {
        ServedModel target = model;
        while (true) {
            try {
                submitTo(target);
                return;
            } catch (RejectedException e) {
                // A hot swap drained this scheduler after the request picked the model: its replacement takes it.
                ServedModel current = api.models().get(model.id());
                if (e.reason() != RejectedException.Reason.NOT_ACCEPTING || current == null || current == target) {
                    throw refusal(e);
                }
                target = current;
            }
        }
    }

    private void submitTo(ServedModel model) throws ApiException, RejectedException {
        int[] prompt;
        try {
            prompt = model.chatFormat().encode(request.messages());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("messages", e.getMessage()); // the checkpoint's template refused them
        }
        int room = model.contextLength() - prompt.length;
        if (room < 1) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "context_length_exceeded", "messages",
                    "This model's maximum context length is " + model.contextLength() + " tokens. However, your "
                            + "messages resulted in " + prompt.length + " tokens.");
        }
        int maxTokens = Math.min(request.maxTokens() == null ? DEFAULT_MAX_TOKENS : request.maxTokens(), room);
        GenerationRequest generation = new GenerationRequest(prompt, maxTokens, request.temperature(),
                request.topP(), request.seed(), request.stop(), request.ignoreEos());
        ChatCompletionJson json = new ChatCompletionJson(api.json(),
                "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""),
                TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis()), model.id(), request.includeUsage());
        model.scheduler().submit(generation, new Listener(json), priority);
    }

    /** The scheduler's refusal as the OpenAI error the client sees. */
    static ApiException refusal(RejectedException e) {
        return switch (e.reason()) {
            case QUEUE_BUDGET -> ApiException.retryLater(HttpResponseStatus.TOO_MANY_REQUESTS,
                    "rate_limit_exceeded", "rate_limit_exceeded", e.getMessage(), e.retryAfterSeconds());
            case QUEUE_FULL, NOT_ACCEPTING, DEADLINE -> ApiException.retryLater(
                    HttpResponseStatus.SERVICE_UNAVAILABLE, "server_error", "overloaded", e.getMessage(),
                    e.retryAfterSeconds());
            case TOO_LARGE -> new ApiException(HttpResponseStatus.BAD_REQUEST, "context_length_exceeded",
                    "max_tokens", e.getMessage());
        };
    }

    private static ApiException internalError(Throwable e) {
        return new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "server_error", "internal_error", null,
                "The origin failed while generating: " + e);
    }

    /**
     * Writes the generation as the scheduler produces it; called only on the scheduler thread. Counts tokens,
     * times the first one, and reports the channel's state for cancellation and backpressure.
     */
    private final class Listener implements SequenceListener {
        private final ChatCompletionJson json;
        private final Counter tokens = api.metrics().tokens(model.id());
        private final StringBuilder text = new StringBuilder();
        private EventStream events;
        private boolean first = true;

        Listener(ChatCompletionJson json) {
            this.json = json;
        }

        @Override
        public void onToken(String delta) {
            tokens.increment();
            if (first) {
                first = false;
                api.metrics().timeToFirstToken(model.id(), System.nanoTime() - receivedNanos);
            }
            if (!request.stream()) {
                text.append(delta);
            } else if (!delta.isEmpty()) {
                stream().send(json.contentChunk(delta));
            }
        }

        @Override
        public boolean cancelled() {
            return !ctx.channel().isActive();
        }

        @Override
        public boolean writable() {
            return events == null || events.writable();
        }

        @Override
        public void completed(GenerationResult result) {
            try {
                api.metrics().completion(model.id(), result.finishReason().metricName());
                if (result.finishReason() == FinishReason.CANCELLED) {
                    ctx.close();
                } else if (!request.stream()) {
                    respond(ApiResponses.json(ctx.alloc(), api.json(), HttpResponseStatus.OK,
                            json.completion(text.toString(), result)));
                } else {
                    EventStream events = stream();
                    events.send(json.finishChunk(result));
                    if (request.includeUsage()) {
                        events.send(json.usageChunk(result));
                    }
                    events.done();
                }
            } finally {
                onDone.run();
            }
        }

        @Override
        public void failed(Exception cause) {
            try {
                if (events != null) {
                    ctx.close(); // headers are gone: the only honest signal left is to cut the stream short
                } else if (cause instanceof RejectedException r) {
                    respond(ApiResponses.error(ctx.alloc(), api.json(), refusal(r)));
                } else {
                    LOG.log(Level.ERROR, "chat completion for model " + model.id() + " failed", cause);
                    respond(ApiResponses.error(ctx.alloc(), api.json(), internalError(cause)));
                }
            } finally {
                onDone.run();
            }
        }

        /** The event stream, its headers and role chunk sent on first use. */
        private EventStream stream() {
            if (events == null) {
                events = new EventStream(ctx, api.json());
                api.metrics().request(ENDPOINT, HttpResponseStatus.OK.code());
                events.start();
                events.send(json.roleChunk());
            }
            return events;
        }
    }

    private void respond(FullHttpResponse response) {
        if (!ctx.channel().isActive()) {
            response.release();
            return;
        }
        api.metrics().request(ENDPOINT, response.status().code());
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
}
