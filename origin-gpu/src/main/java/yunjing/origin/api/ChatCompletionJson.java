package yunjing.origin.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.origin.engine.GenerationResult;

/**
 * The JSON objects of one chat completion: {@code chat.completion} (non-streaming) and
 * {@code chat.completion.chunk} (streaming), shaped as in the OpenAI API reference. All chunks of a stream share
 * {@code id}, {@code created} and {@code model}.
 */
final class ChatCompletionJson {

    private final ObjectMapper mapper;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;

    ChatCompletionJson(ObjectMapper mapper, String id, long created, String model, boolean includeUsage) {
        this.mapper = mapper;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    ObjectNode completion(String content, GenerationResult result) {
        ObjectNode root = header("chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        choice.putNull("logprobs");
        choice.put("finish_reason", result.finishReason().openAiName());
        usage(root, result);
        return root;
    }

    /** The first chunk: the assistant role, no text yet. */
    ObjectNode roleChunk() {
        ObjectNode root = header("chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("delta").put("role", "assistant").put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return streamUsageNull(root);
    }

    ObjectNode contentChunk(String text) {
        ObjectNode root = header("chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("delta").put("content", text);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return streamUsageNull(root);
    }

    ObjectNode finishChunk(GenerationResult result) {
        ObjectNode root = header("chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("delta");
        choice.putNull("logprobs");
        choice.put("finish_reason", result.finishReason().openAiName());
        return streamUsageNull(root);
    }

    /** Sent only with {@code stream_options.include_usage}: empty choices, the usage of the whole stream. */
    ObjectNode usageChunk(GenerationResult result) {
        ObjectNode root = header("chat.completion.chunk");
        root.putArray("choices");
        usage(root, result);
        return root;
    }

    private ObjectNode header(String object) {
        ObjectNode root = mapper.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    /** With include_usage, OpenAI sends {@code "usage": null} on every chunk but the last. */
    private ObjectNode streamUsageNull(ObjectNode root) {
        if (includeUsage) {
            root.putNull("usage");
        }
        return root;
    }

    private static void usage(ObjectNode root, GenerationResult r) {
        root.putObject("usage")
                .put("prompt_tokens", r.promptTokens())
                .put("completion_tokens", r.completionTokens())
                .put("total_tokens", r.promptTokens() + r.completionTokens());
    }
}
