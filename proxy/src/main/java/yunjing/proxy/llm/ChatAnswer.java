package yunjing.proxy.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One stored answer of the answer cache: a complete, single-choice, text-only chat completion in its
 * non-streamed shape ({@code "object":"chat.completion"}), which can be replayed as that JSON or as a
 * server-sent event stream in the shape the origin streams. Immutable once built.
 *
 * <p>Only plain text answers are kept (a message of {@code role} and {@code content}, no tool calls, no
 * logprobs): those are the ones both shapes carry without loss.
 */
final class ChatAnswer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content");

    private final ObjectNode completion;
    private final byte[] json;

    private ChatAnswer(ObjectNode completion, byte[] json) {
        this.completion = completion;
        this.json = json;
    }

    /**
     * From a non-streamed completion; null when it is not a plain single-choice text answer with usage.
     *
     * @param raw the bytes {@code root} was read from: replayed as they came
     */
    static ChatAnswer fromCompletion(JsonNode root, byte[] raw) {
        if (root == null || !root.isObject() || !"chat.completion".equals(root.path("object").asText())
                || !root.path("id").isTextual() || !root.path("usage").isObject()) {
            return null;
        }
        JsonNode choices = root.path("choices");
        if (!choices.isArray() || choices.size() != 1) {
            return null;
        }
        JsonNode choice = choices.get(0);
        JsonNode message = choice.path("message");
        if (!message.isObject() || !message.path("content").isTextual() || !onlyFields(message, MESSAGE_FIELDS)
                || !choice.path("logprobs").isNull() && !choice.path("logprobs").isMissingNode()
                || !choice.path("finish_reason").isTextual()) {
            return null;
        }
        return new ChatAnswer(((ObjectNode) root).deepCopy(), raw.clone());
    }

    /**
     * From the chunks of a streamed completion, in order (the {@code [DONE]} sentinel excluded); null when
     * they are not a plain single-choice text answer whose last chunk reported usage.
     */
    static ChatAnswer fromChunks(List<JsonNode> chunks) {
        if (chunks.isEmpty()) {
            return null;
        }
        JsonNode first = chunks.get(0);
        if (!first.path("id").isTextual()) {
            return null;
        }
        StringBuilder content = new StringBuilder();
        String role = null;
        String finishReason = null;
        JsonNode usage = null;
        for (JsonNode chunk : chunks) {
            if (!"chat.completion.chunk".equals(chunk.path("object").asText())) {
                return null;
            }
            if (chunk.path("usage").isObject()) {
                usage = chunk.get("usage");
            }
            JsonNode choices = chunk.path("choices");
            if (!choices.isArray() || choices.size() > 1) {
                return null;
            }
            if (choices.isEmpty()) {
                continue;
            }
            JsonNode choice = choices.get(0);
            JsonNode delta = choice.path("delta");
            if (choice.path("index").asInt(-1) != 0 || !delta.isObject() || !onlyFields(delta, MESSAGE_FIELDS)
                    || !choice.path("logprobs").isNull() && !choice.path("logprobs").isMissingNode()) {
                return null;
            }
            if (delta.path("role").isTextual()) {
                role = delta.get("role").asText();
            }
            if (delta.path("content").isTextual()) {
                content.append(delta.get("content").asText());
            }
            if (choice.path("finish_reason").isTextual()) {
                finishReason = choice.get("finish_reason").asText();
            }
        }
        if (role == null || finishReason == null || usage == null) {
            return null;
        }
        ObjectNode root = header(first, "chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", role).put("content", content.toString());
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        root.set("usage", usage.deepCopy());
        return new ChatAnswer(root, bytes(root));
    }

    /** The answer as the body of a non-streamed response. */
    byte[] json() {
        return json.clone();
    }

    /**
     * The answer as a {@code text/event-stream} body: the role, the whole text in one chunk, the finish
     * reason, then (when asked) the usage chunk, then {@code [DONE]}. With {@code includeUsage} every chunk
     * before the last carries {@code "usage": null}, as OpenAI's do.
     */
    byte[] sse(boolean includeUsage) {
        JsonNode choice = completion.get("choices").get(0);
        StringBuilder out = new StringBuilder(json.length + 512);
        ObjectNode roleChunk = chunk(includeUsage);
        ObjectNode delta = choiceOf(roleChunk, null).putObject("delta");
        delta.put("role", choice.path("message").path("role").asText()).put("content", "");
        event(out, roleChunk);
        ObjectNode textChunk = chunk(includeUsage);
        choiceOf(textChunk, null).putObject("delta").put("content", choice.path("message").path("content").asText());
        event(out, textChunk);
        ObjectNode finishChunk = chunk(includeUsage);
        choiceOf(finishChunk, choice.path("finish_reason").asText()).putObject("delta");
        event(out, finishChunk);
        if (includeUsage) {
            ObjectNode usageChunk = header(completion, "chat.completion.chunk");
            usageChunk.putArray("choices");
            usageChunk.set("usage", completion.get("usage").deepCopy());
            event(out, usageChunk);
        }
        out.append("data: [DONE]\n\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Approximate heap held by this entry, for the cache's byte bound. */
    int weight() {
        return 2 * json.length + 256;
    }

    private ObjectNode chunk(boolean includeUsage) {
        ObjectNode chunk = header(completion, "chat.completion.chunk");
        chunk.putArray("choices");
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    /** Adds choice 0 to the chunk's choices; the caller adds its delta. */
    private static ObjectNode choiceOf(ObjectNode chunk, String finishReason) {
        ObjectNode choice = ((ArrayNode) chunk.get("choices")).addObject();
        choice.put("index", 0);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return choice;
    }

    private static ObjectNode header(JsonNode from, String object) {
        ObjectNode root = JSON.createObjectNode();
        root.set("id", from.path("id").deepCopy());
        root.put("object", object);
        root.set("created", from.path("created").deepCopy());
        root.set("model", from.path("model").deepCopy());
        if (from.has("system_fingerprint")) {
            root.set("system_fingerprint", from.get("system_fingerprint").deepCopy());
        }
        return root;
    }

    private static void event(StringBuilder out, JsonNode chunk) {
        out.append("data: ").append(new String(bytes(chunk), StandardCharsets.UTF_8)).append("\n\n");
    }

    private static boolean onlyFields(JsonNode object, Set<String> allowed) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name) && !object.get(name).isNull()) {
                return false;
            }
        }
        return true;
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
