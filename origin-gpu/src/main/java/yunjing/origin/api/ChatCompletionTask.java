package yunjing.origin.api;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.origin.engine.FinishReason;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.GenerationResult;
import yunjing.origin.engine.TokenListener;

import java.lang.System.Logger.Level;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One chat completion, run on the inference executor: tokenize the conversation, check it fits the context,
 * generate, and write either one {@code chat.completion} or an event stream of chunks.
 *
 * <p>Stops between tokens once the channel is inactive (HTTP/1.1 connection closed, HTTP/2 stream reset: the
 * stream channel closes) or the thread is interrupted (server closing). {@code onDone} runs exactly once, after
 * the last write was issued.
 */
final class ChatCompletionTask implements Runnable {

    static final int DEFAULT_MAX_TOKENS = 256;
    static final String ENDPOINT = "chat_completions";
    private static final System.Logger LOG = System.getLogger(ChatCompletionTask.class.getName());

    private final ApiContext api;
    private final ChannelHandlerContext ctx;
    private final ServedModel model;
    private final ChatCompletionRequest request;
    private final long receivedNanos;
    private final Runnable onDone;
    private boolean responseStarted;

    ChatCompletionTask(ApiContext api, ChannelHandlerContext ctx, ServedModel model, ChatCompletionRequest request,
                       long receivedNanos, Runnable onDone) {
        this.api = api;
        this.ctx = ctx;
        this.model = model;
        this.request = request;
        this.receivedNanos = receivedNanos;
        this.onDone = onDone;
    }

    @Override
    public void run() {
        try {
            if (ctx.channel().isActive()) {
                complete();
            }
        } catch (ApiException e) {
            fail(e);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "chat completion for model " + model.id() + " failed", e);
            fail(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "server_error", "internal_error", null,
                    "The origin failed while generating: " + e));
        } finally {
            onDone.run();
        }
    }

    private void complete() throws ApiException {
        int[] prompt = model.chatFormat().encode(request.messages());
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
        GenerationResult result;
        api.metrics().sequenceStarted();
        try {
            result = request.stream() ? stream(generation, json) : whole(generation, json);
        } finally {
            api.metrics().sequenceEnded();
        }
        api.metrics().completion(model.id(), result.finishReason().openAiName());
    }

    private GenerationResult whole(GenerationRequest generation, ChatCompletionJson json) {
        StringBuilder text = new StringBuilder();
        GenerationResult result = model.generator().generate(generation, new Listener() {
            @Override
            void text(String delta) {
                text.append(delta);
            }
        });
        if (result.finishReason() != FinishReason.CANCELLED) {
            respond(ApiResponses.json(ctx.alloc(), api.json(), HttpResponseStatus.OK,
                    json.completion(text.toString(), result)));
        }
        return result;
    }

    private GenerationResult stream(GenerationRequest generation, ChatCompletionJson json) {
        EventStream events = new EventStream(ctx, api.json());
        responseStarted = true;
        api.metrics().request(ENDPOINT, HttpResponseStatus.OK.code());
        events.start();
        events.send(json.roleChunk());
        GenerationResult result = model.generator().generate(generation, new Listener() {
            @Override
            void text(String delta) {
                if (!delta.isEmpty()) {
                    events.send(json.contentChunk(delta));
                }
            }
        });
        if (result.finishReason() == FinishReason.CANCELLED) {
            ctx.close();
            return result;
        }
        events.send(json.finishChunk(result));
        if (request.includeUsage()) {
            events.send(json.usageChunk(result));
        }
        events.done();
        return result;
    }

    /** Counts tokens, times the first one, and cancels when nobody is listening. */
    private abstract class Listener implements TokenListener {
        private final Counter tokens = api.metrics().tokens(model.id());
        private boolean first = true;

        abstract void text(String delta);

        @Override
        public final void onToken(String delta) {
            tokens.increment();
            if (first) {
                first = false;
                api.metrics().timeToFirstToken(model.id(), System.nanoTime() - receivedNanos);
            }
            text(delta);
        }

        @Override
        public final boolean cancelled() {
            return !ctx.channel().isActive() || Thread.currentThread().isInterrupted();
        }
    }

    private void fail(ApiException e) {
        if (responseStarted) {
            // Headers are gone: the only honest signal left is to cut the stream short.
            ctx.close();
        } else if (ctx.channel().isActive()) {
            respond(ApiResponses.error(ctx.alloc(), api.json(), e));
        }
    }

    private void respond(io.netty.handler.codec.http.FullHttpResponse response) {
        responseStarted = true;
        api.metrics().request(ENDPOINT, response.status().code());
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
}
