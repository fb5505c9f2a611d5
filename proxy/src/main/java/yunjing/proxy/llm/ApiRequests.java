package yunjing.proxy.llm;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.proxy.ApiAccess;

import java.io.IOException;
import java.util.Set;

/**
 * Request hygiene of the API edge: which {@code /v1/} paths exist, and whether a chat completion body is
 * well-formed enough to be worth sending over the long-haul link. Stateless; thread-safe.
 */
public final class ApiRequests {

    private static final Set<String> PATHS = Set.of(
            "/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings");

    private ApiRequests() {
    }

    /**
     * The parser, made on first use: {@link #isApi} runs on every request of every node, and would otherwise
     * make a non-API node's first request pay for Jackson's start-up on its event loop.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /** Whether the gate applies: the path of {@code target} is under {@code /v1/}. */
    public static boolean isApi(String target) {
        return target.startsWith("/v1/");
    }

    /** 404 {@code unknown_url} for a {@code /v1/} path the API does not have, else null. */
    public static Rejection checkPath(HttpMethod method, String target) {
        String path = path(target);
        if (PATHS.contains(path)) {
            return null;
        }
        if (path.startsWith("/v1/models/") && path.length() > 11 && path.indexOf('/', 11) < 0) {
            return null;
        }
        return Rejection.invalid(HttpResponseStatus.NOT_FOUND, "unknown_url", "unknown_url", null,
                "Unknown request URL: " + method + " " + path + ". Please check the URL for typos.");
    }

    /** Whether the body is aggregated and validated: {@code POST /v1/chat/completions}. */
    public static boolean validatesBody(HttpMethod method, String target) {
        return HttpMethod.POST.equals(method) && path(target).equals("/v1/chat/completions");
    }

    /** 413 for a body over {@link ApiAccess#MAX_CHAT_BODY_BYTES}. */
    public static Rejection tooLarge() {
        return Rejection.invalid(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", "request_too_large",
                null, "Request body exceeds " + ApiAccess.MAX_CHAT_BODY_BYTES + " bytes.");
    }

    /**
     * Checks a chat completion body: a JSON object with a non-empty string {@code model} and an array
     * {@code messages}. Does not consume or release {@code body}.
     *
     * @return null when acceptable, else the 400 to send
     */
    public static Rejection checkChatBody(ByteBuf body) {
        return parseChat(body).rejection();
    }

    /** A parsed chat completion body: its JSON, or why it is refused. */
    record ChatBody(JsonNode root, Rejection rejection) {
        static ChatBody refused(Rejection rejection) {
            return new ChatBody(null, rejection);
        }
    }

    /** {@link #checkChatBody}, keeping the parsed JSON of an acceptable body. Does not consume {@code body}. */
    static ChatBody parseChat(ByteBuf body) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(new ByteBufInputStream(body.duplicate()));
        } catch (JsonProcessingException e) {
            return ChatBody.refused(invalidJson("We could not parse the JSON body of your request: "
                    + e.getOriginalMessage()));
        } catch (IOException e) {
            return ChatBody.refused(invalidJson("We could not read the JSON body of your request: "
                    + e.getMessage()));
        }
        if (root == null || root.isMissingNode()) {
            return ChatBody.refused(invalidJson("We could not parse the JSON body of your request: empty body"));
        }
        if (!root.isObject()) {
            return ChatBody.refused(invalidJson("The request body must be a JSON object."));
        }
        JsonNode model = root.get("model");
        if (model == null || model.isNull()) {
            return ChatBody.refused(missing("model"));
        }
        if (!model.isTextual() || model.asText().isBlank()) {
            return ChatBody.refused(wrongType("model", "a non-empty string"));
        }
        JsonNode messages = root.get("messages");
        if (messages == null || messages.isNull()) {
            return ChatBody.refused(missing("messages"));
        }
        if (!messages.isArray()) {
            return ChatBody.refused(wrongType("messages", "an array"));
        }
        return new ChatBody(root, null);
    }

    private static Rejection invalidJson(String message) {
        return Rejection.invalid(HttpResponseStatus.BAD_REQUEST, "invalid_json", "invalid_json", null, message);
    }

    private static Rejection missing(String param) {
        return Rejection.invalid(HttpResponseStatus.BAD_REQUEST, "invalid_json", "missing_required_parameter",
                param, "Missing required parameter: '" + param + "'.");
    }

    private static Rejection wrongType(String param, String expected) {
        return Rejection.invalid(HttpResponseStatus.BAD_REQUEST, "invalid_json", "invalid_type", param,
                "Invalid type for '" + param + "': expected " + expected + ".");
    }

    private static String path(String target) {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }
}
