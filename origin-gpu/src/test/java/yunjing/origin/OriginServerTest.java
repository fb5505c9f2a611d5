package yunjing.origin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI API over HTTP/1.1, with java.net.http as the client. */
class OriginServerTest {

    @RegisterExtension
    static final OriginServerExtension origin = new OriginServerExtension();
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @AfterAll
    static void closeClient() {
        client.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(origin.uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(origin.uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String content, String extra) {
        return "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":" + content + "}]" + extra + "}";
    }

    @Test
    void server_isReadyAndBoundToAnEphemeralPort() {
        assertTrue(origin.server().isReady());
        assertTrue(origin.address().getPort() > 0);
    }

    @Test
    void listModels_returnsTheOpenAiList() throws Exception {
        HttpResponse<String> r = get("/v1/models");
        assertEquals(200, r.statusCode());
        assertEquals("yunjing-origin/" + OriginServerExtension.NODE, r.headers().firstValue("server").orElse(null));
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(null));
        assertEquals("public, max-age=60", r.headers().firstValue("cache-control").orElse(null),
                "model metadata is cacheable by the mirror's tiers");
        JsonNode body = JSON.readTree(r.body());
        assertEquals("list", body.get("object").asText());
        assertEquals(1, body.get("data").size());
        JsonNode model = body.get("data").get(0);
        assertEquals("tiny-llama", model.get("id").asText());
        assertEquals("model", model.get("object").asText());
        assertEquals("yunjing", model.get("owned_by").asText());
        assertTrue(model.get("created").asLong() > 1_600_000_000L);
    }

    @Test
    void getModel_returnsOneOr404() throws Exception {
        HttpResponse<String> r = get("/v1/models/tiny-llama");
        assertEquals(200, r.statusCode());
        assertEquals("tiny-llama", JSON.readTree(r.body()).get("id").asText());
        HttpResponse<String> missing = get("/v1/models/gpt-5");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.headers().firstValue("cache-control").isEmpty(), "errors are not marked public");
        assertEquals("model_not_found", JSON.readTree(missing.body()).get("error").get("code").asText());
    }

    @Test
    void chatCompletion_returnsAChatCompletionWithUsage() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", chat("\"Hello there\"", ",\"max_tokens\":12,\"temperature\":0"));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("yunjing-origin/" + OriginServerExtension.NODE, r.headers().firstValue("server").orElse(null));
        JsonNode body = JSON.readTree(r.body());
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals("tiny-llama", body.get("model").asText());
        JsonNode choice = body.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertTrue(choice.get("message").get("content").isTextual());
        String finish = choice.get("finish_reason").asText();
        assertTrue(finish.equals("stop") || finish.equals("length"), finish);
        JsonNode usage = body.get("usage");
        assertTrue(usage.get("prompt_tokens").asInt() > 5);
        assertTrue(usage.get("completion_tokens").asInt() >= 1 && usage.get("completion_tokens").asInt() <= 12);
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
    }

    @Test
    void maxTokensWithIgnoreEos_endsWithLengthAtExactlyMaxTokens() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions",
                chat("\"Count\"", ",\"max_tokens\":9,\"temperature\":0,\"ignore_eos\":true"));
        JsonNode body = JSON.readTree(r.body());
        assertEquals("length", body.get("choices").get(0).get("finish_reason").asText());
        assertEquals(9, body.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void greedyRequest_twice_givesTheSameText() throws Exception {
        String req = chat("\"Tell me about the river\"", ",\"max_tokens\":30,\"temperature\":0");
        String a = JSON.readTree(post("/v1/chat/completions", req).body()).at("/choices/0/message/content").asText();
        String b = JSON.readTree(post("/v1/chat/completions", req).body()).at("/choices/0/message/content").asText();
        assertEquals(a, b);
    }

    @Test
    void contentParts_withAnImage_areRefusedByATextOnlyModel() throws Exception {
        String parts = "[{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]";
        HttpResponse<String> r = post("/v1/chat/completions", chat(parts, ",\"max_tokens\":8"));
        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals("messages", error.get("param").asText());
        assertTrue(error.get("message").asText().contains("does not support images"), error.toString());
    }

    @Test
    void malformedJson_is400() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\": ");
        assertEquals(400, r.statusCode());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals("invalid_json", error.get("code").asText());
        assertTrue(error.has("param"));
    }

    @Test
    void missingModelOrMessages_is400NamingTheParameter() throws Exception {
        HttpResponse<String> noModel = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(400, noModel.statusCode());
        assertEquals("model", JSON.readTree(noModel.body()).at("/error/param").asText());
        HttpResponse<String> noMessages = post("/v1/chat/completions", "{\"model\":\"tiny-llama\"}");
        assertEquals(400, noMessages.statusCode());
        assertEquals("messages", JSON.readTree(noMessages.body()).at("/error/param").asText());
        HttpResponse<String> badTemperature = post("/v1/chat/completions", chat("\"x\"", ",\"temperature\":\"hot\""));
        assertEquals(400, badTemperature.statusCode());
        assertEquals("temperature", JSON.readTree(badTemperature.body()).at("/error/param").asText());
    }

    @Test
    void unknownModel_is404ModelNotFound() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(404, r.statusCode());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("model_not_found", error.get("code").asText());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.get("message").asText().contains("gpt-4o"));
    }

    @Test
    void unknownPath_is404_andWrongMethod_is405WithAllow() throws Exception {
        HttpResponse<String> unknown = get("/v1/embeddings");
        assertEquals(404, unknown.statusCode());
        assertEquals("yunjing-origin/" + OriginServerExtension.NODE, unknown.headers().firstValue("server").orElse(null));
        HttpResponse<String> wrong = get("/v1/chat/completions");
        assertEquals(405, wrong.statusCode());
        assertEquals("POST", wrong.headers().firstValue("allow").orElse(null));
        assertEquals("method_not_allowed", JSON.readTree(wrong.body()).at("/error/code").asText());
    }

    @Test
    void promptLongerThanTheContext_is400() throws Exception {
        String huge = "word ".repeat(3000);
        HttpResponse<String> r = post("/v1/chat/completions", chat("\"" + huge + "\"", ""));
        assertEquals(400, r.statusCode());
        assertEquals("context_length_exceeded", JSON.readTree(r.body()).at("/error/code").asText());
    }

    @Test
    void bodyLargerThanTheLimit_is413AndClosesTheConnection() throws Exception {
        try (RawHttp1 raw = new RawHttp1(origin.address())) {
            // Only the header is sent: the length alone must be refused without reading 40 MB.
            raw.send("POST", "/v1/chat/completions", Map.of("Content-Type", "application/json",
                    "Content-Length", Integer.toString(40 << 20)), null);
            raw.readHead();
            assertEquals(413, raw.status);
            assertEquals("close", raw.headers.get("connection"));
            assertEquals("yunjing-origin/" + OriginServerExtension.NODE, raw.headers.get("server"));
            assertEquals("request_too_large", JSON.readTree(raw.readFixedBody()).at("/error/code").asText());
        }
    }

    @Test
    void metrics_countRequestsTokensAndTimeToFirstToken() throws Exception {
        double models = origin.requests("models", 200);
        double chats = origin.requests("chat_completions", 200);
        double tokens = origin.tokensGenerated();
        long ttft = origin.metrics().find("yunjing.origin.time.to.first.token").timers().stream()
                .mapToLong(t -> t.count()).sum();
        get("/v1/models");
        post("/v1/chat/completions", chat("\"Hi\"", ",\"max_tokens\":5,\"temperature\":0,\"ignore_eos\":true"));
        assertEquals(models + 1, origin.requests("models", 200));
        assertEquals(chats + 1, origin.requests("chat_completions", 200));
        assertEquals(tokens + 5, origin.tokensGenerated());
        assertEquals(ttft + 1, origin.metrics().find("yunjing.origin.time.to.first.token").timers().stream()
                .mapToLong(t -> t.count()).sum());
    }
}
