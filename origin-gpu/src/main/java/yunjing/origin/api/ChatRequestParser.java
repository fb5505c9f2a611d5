package yunjing.origin.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.origin.tokenizer.ChatMessage;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads and validates a chat completion body against the OpenAI API reference
 * (https://platform.openai.com/docs/api-reference/chat/create). Fields the origin does not implement
 * ({@code tools}, {@code response_format}, {@code logprobs}, …) are ignored, as other compatible servers do;
 * fields it does implement are type-checked, and a wrong one is a 400 naming it in {@code param}.
 *
 * <p>Message {@code content} is a string, null, or an array of parts; only {@code text} parts are used. The
 * current models are text-only: image parts ({@code image_url}, typically a base64 data URL of several MiB) are
 * counted, never tokenized; the served model's policy then refuses them (400) or drops them.
 */
final class ChatRequestParser {

    static final int MAX_STOP_STRINGS = 4;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private ChatRequestParser() {}

    static ChatCompletionRequest parse(ObjectMapper mapper, ByteBuf body) throws ApiException {
        JsonNode root;
        try (InputStream in = new ByteBufInputStream(body.duplicate())) {
            root = mapper.readTree(in);
        } catch (JacksonException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_json", null,
                    "We could not parse the JSON body of your request: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_json", null,
                    "We could not read the body of your request: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_json", null,
                    "The request body must be a JSON object.");
        }
        JsonNode model = root.get("model");
        if (model == null || model.isNull()) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "missing_required_parameter", "model",
                    "You must provide a model parameter.");
        }
        if (!model.isTextual() || model.asText().isEmpty()) {
            throw ApiException.badRequest("model", "model must be a non-empty string.");
        }
        JsonNode n = root.get("n");
        if (n != null && !n.isNull() && (!n.canConvertToExactIntegral() || n.asLong() != 1)) {
            throw ApiException.badRequest("n", "Only n = 1 is supported.");
        }
        JsonNode maxTokens = root.hasNonNull("max_completion_tokens") ? root.get("max_completion_tokens")
                : root.get("max_tokens");
        String maxTokensName = root.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer max = null;
        if (maxTokens != null && !maxTokens.isNull()) {
            if (!maxTokens.canConvertToExactIntegral() || maxTokens.asLong() < 1 || maxTokens.asLong() > Integer.MAX_VALUE) {
                throw ApiException.badRequest(maxTokensName, maxTokensName + " must be a positive integer, got "
                        + maxTokens + ".");
            }
            max = maxTokens.asInt();
        }
        JsonNode seed = root.get("seed");
        if (seed != null && !seed.isNull() && !(seed.canConvertToExactIntegral() && seed.canConvertToLong())) {
            throw ApiException.badRequest("seed", "seed must be an integer.");
        }
        JsonNode streamOptions = root.get("stream_options");
        boolean includeUsage = streamOptions != null && streamOptions.isObject()
                && bool(streamOptions, "include_usage", "stream_options.include_usage", false);
        return new ChatCompletionRequest(model.asText(), messages(root.get("messages")),
                bool(root, "stream", "stream", false), includeUsage, max,
                number(root, "temperature", 1.0, 0, 2, true),
                number(root, "top_p", 1.0, 0, 1, false),
                seed == null || seed.isNull() ? OptionalLong.empty() : OptionalLong.of(seed.asLong()),
                stop(root.get("stop")),
                bool(root, "ignore_eos", "ignore_eos", false),
                imageParts(root.get("messages")));
    }

    private static List<ChatMessage> messages(JsonNode messages) throws ApiException {
        if (messages == null || messages.isNull()) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "missing_required_parameter", "messages",
                    "You must provide a messages parameter.");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiException.badRequest("messages", "messages must be a non-empty array.");
        }
        List<ChatMessage> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.badRequest(where, where + " must be an object.");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiException.badRequest(where + ".role", where + ".role must be one of " + ROLES.stream().sorted().toList() + ".");
            }
            out.add(new ChatMessage(role.asText(), text(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** Image parts across all messages (already validated as objects with a string type by {@link #text}). */
    private static int imageParts(JsonNode messages) {
        int n = 0;
        for (JsonNode m : messages) {
            JsonNode content = m.get("content");
            if (content != null && content.isArray()) {
                for (JsonNode part : content) {
                    if (part.path("type").asText().equals("image_url")) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    private static String text(JsonNode content, String where) throws ApiException {
        if (content == null || content.isNull()) {
            return ""; // an assistant turn that only called tools
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw ApiException.badRequest(where, where + " must be a string or an array of content parts.");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            if (!part.isObject() || !part.path("type").isTextual()) {
                throw ApiException.badRequest(where + "[" + i + "]", where + "[" + i
                        + "] must be an object with a string type.");
            }
            if (part.get("type").asText().equals("text")) {
                if (!part.path("text").isTextual()) {
                    throw ApiException.badRequest(where + "[" + i + "].text", where + "[" + i
                            + "].text must be a string.");
                }
                if (!sb.isEmpty()) {
                    sb.append('\n');
                }
                sb.append(part.get("text").asText());
            }
        }
        return sb.toString();
    }

    private static List<String> stop(JsonNode stop) throws ApiException {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (!stop.isArray() || stop.size() > MAX_STOP_STRINGS) {
            throw ApiException.badRequest("stop", "stop must be a string or an array of at most "
                    + MAX_STOP_STRINGS + " strings.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw ApiException.badRequest("stop", "stop must be a string or an array of strings.");
            }
            out.add(s.asText());
        }
        return out;
    }

    private static boolean bool(JsonNode node, String field, String param, boolean fallback) throws ApiException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(param, param + " must be a boolean.");
        }
        return v.asBoolean();
    }

    private static double number(JsonNode node, String field, double fallback, double min, double max,
                                 boolean minInclusive) throws ApiException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        double d = v.asDouble(Double.NaN);
        if (!v.isNumber() || !(minInclusive ? d >= min : d > min) || !(d <= max)) {
            throw ApiException.badRequest(field, field + " must be a number in " + (minInclusive ? "[" : "(")
                    + min + ", " + max + "], got " + v + ".");
        }
        return d;
    }
}
