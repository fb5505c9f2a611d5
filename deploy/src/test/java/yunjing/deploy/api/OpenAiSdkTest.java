package yunjing.deploy.api;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance of the API edge with the real OpenAI Java SDK: only its base URL changes from the origin to an
 * edge of the local network, and completions (whole and streamed), {@code /v1/models} and the error mapping
 * (401, 404 for an unknown model, 429 with Retry-After) behave as they do against the origin itself.
 */
class OpenAiSdkTest {

    static final String PRO = "sk-yunjing-local-pro";
    /** A plan of one request per minute: its second request in a minute is a 429. */
    static final String ONCE = "sk-test-once-per-minute";

    @RegisterExtension
    static final ApiNetwork network = new ApiNetwork(
            "  once: { concurrent: 1, requests_per_minute: 1, requests_per_day: 100, tokens_per_minute: 100000, priority: 0 }\n",
            Map.of(ONCE, "once"));

    /** A client that never retries, so each call is exactly one request. */
    static OpenAIClient client(String baseUrl, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    static ChatCompletionCreateParams greedy(String model, String prompt) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(prompt)
                .temperature(0.0).maxTokens(12).build();
    }

    static String streamedText(OpenAIClient client, ChatCompletionCreateParams params) {
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            return stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse(""))
                    .collect(Collectors.joining());
        }
    }

    @Test
    void chatCompletion_throughAnEdge_equalsTheOriginsAnswer() {
        OpenAIClient origin = client(network.apiBase("origin"), "unused-by-the-origin");
        OpenAIClient edge = client(network.apiBase("gz-unicom"), PRO);
        ChatCompletionCreateParams params = greedy("tiny-llama", "say something about mirrors");

        ChatCompletion direct = origin.chat().completions().create(params);
        ChatCompletion proxied = edge.chat().completions().create(params);

        String text = proxied.choices().get(0).message().content().orElseThrow();
        assertFalse(text.isEmpty());
        assertEquals(direct.choices().get(0).message().content().orElseThrow(), text);
        assertEquals(direct.choices().get(0).finishReason(), proxied.choices().get(0).finishReason());
        assertEquals("tiny-llama", proxied.model());
        assertTrue(proxied.usage().orElseThrow().totalTokens() > 0);
    }

    @Test
    void streamedCompletion_throughAnEdge_deliversTheSameTextAsTheOrigin() {
        OpenAIClient origin = client(network.apiBase("origin"), "unused-by-the-origin");
        OpenAIClient edge = client(network.apiBase("sh-telecom"), PRO);
        ChatCompletionCreateParams params = greedy("tiny-llama", "stream a few words");

        String direct = streamedText(origin, params);
        String proxied = streamedText(edge, params);

        assertFalse(proxied.isEmpty());
        assertEquals(direct, proxied);
        assertEquals(edge.chat().completions().create(params).choices().get(0).message().content().orElseThrow(),
                proxied, "streamed and whole answers of a greedy request agree");
    }

    @Test
    void models_throughAnEdge_listTheOriginsModels() {
        List<String> direct = client(network.apiBase("origin"), "unused").models().list().data().stream()
                .map(Model::id).sorted().toList();
        List<String> proxied = client(network.apiBase("bj-mobile"), PRO).models().list().data().stream()
                .map(Model::id).sorted().toList();
        assertTrue(proxied.contains("tiny-llama"), proxied.toString());
        assertEquals(direct, proxied);
    }

    @Test
    void wrongKey_isAnUnauthorizedExceptionWithTheOpenAiCode() {
        OpenAIClient edge = client(network.apiBase("gz-unicom"), "sk-not-a-key-of-this-network");
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
                () -> edge.chat().completions().create(greedy("tiny-llama", "hi")));
        assertEquals(401, e.statusCode());
        assertEquals("invalid_api_key", e.code().orElseThrow());
        assertEquals("invalid_request_error", e.type().orElseThrow());
    }

    @Test
    void unknownModel_isTheOriginsNotFound_relayedUnchanged() {
        ChatCompletionCreateParams params = greedy("no-such-model", "hi");
        NotFoundException direct = assertThrows(NotFoundException.class,
                () -> client(network.apiBase("origin"), "unused").chat().completions().create(params));
        NotFoundException proxied = assertThrows(NotFoundException.class,
                () -> client(network.apiBase("sh-telecom"), PRO).chat().completions().create(params));
        assertEquals(404, proxied.statusCode());
        assertEquals(direct.code(), proxied.code());
        assertEquals(direct.type(), proxied.type());
        assertEquals(direct.param(), proxied.param());
        assertEquals(direct.getMessage(), proxied.getMessage());
    }

    @Test
    void overThePlansRate_isARateLimitExceptionWithRetryAfter() {
        OpenAIClient edge = client(network.apiBase("gz-unicom"), ONCE);
        assertFalse(edge.models().list().data().isEmpty(), "the first request of the minute passes");
        RateLimitException e = assertThrows(RateLimitException.class, () -> edge.models().list());
        assertEquals(429, e.statusCode());
        long retryAfter = Long.parseLong(e.headers().values("retry-after").get(0));
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        assertEquals("rate_limit_exceeded", e.code().orElseThrow());
        // The SDK hands its caller the error object, which carries retry_after_seconds too.
        String error = e.body().toString();
        assertTrue(error.contains("retry_after_seconds=" + retryAfter), error);
    }
}
