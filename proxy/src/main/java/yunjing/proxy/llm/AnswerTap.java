package yunjing.proxy.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a chat completion response as it is relayed to the client: the {@code usage} the origin reports
 * (in the JSON body, or in the last event of a stream), and, for the answer cache, the whole answer.
 * When the edge asked for a stream's usage on its own ({@link UsageOption}), it also takes that usage out
 * of the stream: the usage chunk is dropped and the {@code "usage": null} of the other chunks removed.
 *
 * <p>Events are passed on as they complete; only a stream being rewritten holds back the bytes of an
 * event not yet complete (the origin writes each event whole, so in practice nothing waits). One per
 * response; confined to its event loop.
 */
final class AnswerTap {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A non-streamed answer larger than this is neither parsed for usage nor stored. */
    static final int MAX_JSON_BYTES = 4 << 20;
    private static final Pattern USAGE_OBJECT = Pattern.compile("\"usage\"\\s*:\\s*\\{");
    private static final Pattern USAGE_NULL = Pattern.compile("\"usage\"\\s*:\\s*null");
    private static final String USAGE_NULL_LAST = ",\"usage\":null}";

    private final boolean sse;
    private final boolean stripUsage;
    private final boolean collect;
    private final SseEvents events;
    private ByteArrayOutputStream json;
    private final List<JsonNode> chunks = new ArrayList<>();
    private long collectedBytes;
    private boolean collectFailed;
    private long totalTokens = -1;
    private long chunksSeen;
    private boolean done;
    private boolean ended;
    private ChatAnswer jsonAnswer;

    /**
     * @param sse        the response is a {@code text/event-stream}
     * @param stripUsage the client did not ask for the stream's usage: take it out
     * @param collect    keep what the answer cache needs to store the answer
     */
    AnswerTap(boolean sse, boolean stripUsage, boolean collect) {
        this.sse = sse;
        this.stripUsage = sse && stripUsage;
        this.collect = collect;
        this.events = sse ? new SseEvents() : null;
        this.json = sse ? null : new ByteArrayOutputStream();
    }

    /** Takes ownership of {@code content}; returns what to relay in its place (often the same object). */
    HttpContent relay(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        ByteBuf buf = content.content();
        if (!sse) {
            copyJson(buf);
            if (last) {
                ended = true;
                readJson();
            }
            return content;
        }
        if (events.overflowed()) {
            ended |= last;
            return content;
        }
        List<String> complete = events.feed(buf);
        if (!stripUsage) {
            for (String event : complete) {
                observe(event);
            }
            if (events.overflowed()) {
                collectFailed = true;
                events.drain();   // passed on already: nothing to hold
            }
            ended |= last;
            return content;
        }
        StringBuilder out = new StringBuilder();
        for (String event : complete) {
            String kept = observe(event);
            if (kept != null) {
                out.append(kept);
            }
        }
        if (events.overflowed() || last) {
            // Too long to follow, or the stream ended mid-event: what is held goes on untouched.
            collectFailed |= events.overflowed();
            out.append(events.drain());
        }
        ByteBuf rewritten = buf.alloc().buffer(out.length());
        rewritten.writeCharSequence(out, StandardCharsets.UTF_8);
        HttpContent result = last
                ? new DefaultLastHttpContent(rewritten, ((LastHttpContent) content).trailingHeaders())
                : new DefaultHttpContent(rewritten);
        content.release();
        ended |= last;
        return result;
    }

    /**
     * Tokens to charge: the {@code total_tokens} the origin reported, else (a stream cut short) one per chunk
     * relayed, the origin's one token per event, as the best estimate there is.
     */
    long tokensUsed() {
        return totalTokens >= 0 ? totalTokens : chunksSeen;
    }

    /** The complete answer to store, or null: not complete, cut short, too large, or not plain text. */
    ChatAnswer answer() {
        if (!collect || !ended || collectFailed) {
            return null;
        }
        return sse ? (done ? ChatAnswer.fromChunks(chunks) : null) : jsonAnswer;
    }

    /**
     * Reads one whole event; returns what to relay for it (null: drop it). Only an event that carries a usage
     * object is parsed, unless the answer is being collected: a long stream costs string scans, not JSON trees.
     * A {@code "usage"} member can be matched textually because inside a JSON string its quotes are escaped.
     */
    private String observe(String event) {
        String data = SseEvents.data(event);
        if (data == null) {
            return event;
        }
        if (data.equals("[DONE]")) {
            done = true;
            return event;
        }
        boolean hasUsage = USAGE_OBJECT.matcher(data).find();
        JsonNode chunk = null;
        if (hasUsage || (collect && !collectFailed)) {
            try {
                chunk = JSON.readTree(data);
            } catch (JsonProcessingException e) {
                collectFailed = true;
                return event;
            }
        }
        if (hasUsage) {
            totalTokens = chunk.path("usage").path("total_tokens").asLong(-1);
        } else {
            chunksSeen++;
        }
        if (collect && !collectFailed) {
            collectedBytes += data.length();
            if (collectedBytes > AnswerCache.MAX_ANSWER_BYTES) {
                collectFailed = true;
                chunks.clear();
            } else {
                chunks.add(chunk);
            }
        }
        if (!stripUsage) {
            return event;
        }
        if (hasUsage && chunk.path("choices").isArray() && chunk.get("choices").isEmpty()) {
            return null;   // the usage chunk the edge asked for
        }
        if (data.endsWith(USAGE_NULL_LAST)) {
            // The origin's shape: the member comes last. Cut it without a parse.
            return "data: " + data.substring(0, data.length() - USAGE_NULL_LAST.length()) + "}\n\n";
        }
        if (USAGE_NULL.matcher(data).find()) {
            try {
                ObjectNode copy = (ObjectNode) (chunk != null ? chunk.deepCopy() : JSON.readTree(data));
                copy.remove("usage");
                return "data: " + copy + "\n\n";
            } catch (JsonProcessingException | ClassCastException e) {
                return event;
            }
        }
        return event;
    }

    private void copyJson(ByteBuf buf) {
        if (json == null) {
            return;
        }
        int n = buf.readableBytes();
        if (json.size() + (long) n > MAX_JSON_BYTES) {
            json = null;
            return;
        }
        try {
            buf.getBytes(buf.readerIndex(), json, n);
        } catch (IOException e) {
            throw new IllegalStateException("a byte array stream does not fail", e);
        }
    }

    private void readJson() {
        if (json == null || json.size() == 0) {
            return;
        }
        try {
            byte[] raw = json.toByteArray();
            JsonNode root = JSON.readTree(raw);
            JsonNode usage = root.path("usage");
            if (usage.isObject()) {
                totalTokens = usage.path("total_tokens").asLong(-1);
            }
            if (collect) {
                jsonAnswer = ChatAnswer.fromCompletion(root, raw);
            }
        } catch (IOException e) {
            // Not JSON after all: nothing to charge or store.
        } finally {
            json = null;
        }
    }
}
