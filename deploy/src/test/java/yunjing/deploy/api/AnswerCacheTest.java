package yunjing.deploy.api;

import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance of the exact-match answer cache on the whole local network: a repeated temperature-0 request is
 * answered by the edge (first byte in under 10 ms, the origin asked once), as JSON or as a stream whichever
 * form was stored, never across tenants, never from a stream the client left.
 */
class AnswerCacheTest {

    static final String TENANT_A = "sk-test-cache-tenant-a";
    static final String TENANT_A_OTHER_KEY = "sk-test-cache-tenant-a-2";
    static final String TENANT_B = "sk-test-cache-tenant-b";
    static final String PRO = "sk-yunjing-local-pro";
    static final String EDGE = "sh-telecom";
    static final AtomicInteger PROMPTS = new AtomicInteger();

    @RegisterExtension
    static final ApiNetwork network = new ApiNetwork(
            "  cached: { concurrent: 10, requests_per_minute: 6000, requests_per_day: 100000, tokens_per_minute: 0, priority: 1, answer_cache: true }\n",
            Map.of(TENANT_A, "cached, tenant: a", TENANT_A_OTHER_KEY, "cached, tenant: a", TENANT_B, "cached, tenant: b"));

    /** A prompt no other test sends, so each test starts with an empty cache for it. */
    static String freshPrompt() {
        return "answer cache test " + PROMPTS.incrementAndGet();
    }

    static String chat(String prompt, boolean stream, String extra) {
        return "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],"
                + "\"max_tokens\":10,\"temperature\":0,\"stream\":" + stream + extra + "}";
    }

    static HttpRequest request(String key, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(network.apiBase(EDGE) + "/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return b.build();
    }

    static HttpResponse<String> post(String key, String body, String... headers) throws Exception {
        return network.http().send(request(key, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    static double originChats() throws Exception {
        double n = ApiNetwork.sample(network.metrics("origin"), "yunjing_origin_requests_total",
                "endpoint=\"chat_completions\"", "status=\"200\"");
        return Double.isNaN(n) ? 0 : n;
    }

    /** The edge's {@code source=answer_cache} first-byte timer: {count, sum in seconds}. */
    static double[] firstByteTimer() throws Exception {
        String metrics = network.metrics(EDGE);
        return new double[] {
                ApiNetwork.sample(metrics, "yunjing_proxy_api_time_to_first_byte_seconds_count", "source=\"answer_cache\""),
                ApiNetwork.sample(metrics, "yunjing_proxy_api_time_to_first_byte_seconds_sum", "source=\"answer_cache\"")};
    }

    static String cacheStatus(HttpResponse<?> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    @Test
    void repeatedGreedyRequest_isAnsweredByTheEdge_fast_andTheOriginSeesOne() throws Exception {
        String body = chat(freshPrompt(), false, "");
        double before = originChats();
        HttpResponse<String> first = post(TENANT_A, body);
        assertEquals(200, first.statusCode(), first.body());
        assertFalse(cacheStatus(first).contains(EDGE + "; hit"), cacheStatus(first));

        // Timed over a raw keep-alive socket: from the last request byte written to the first response byte read.
        double[] edgeTimerBefore = new double[2];
        // The first rounds warm the JIT (the edge runs in this JVM); the later ones are timed.
        int warmUp = 20;
        long[] firstByteMicros = new long[15];
        try (Socket socket = new Socket()) {
            socket.connect(network.role(EDGE).http(), 5000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            byte[] head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: api.mirror.test\r\nAuthorization: Bearer "
                    + TENANT_A + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] request = new byte[head.length + bytes.length];
            System.arraycopy(head, 0, request, 0, head.length);
            System.arraycopy(bytes, 0, request, head.length, bytes.length);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            for (int i = -warmUp; i < firstByteMicros.length; i++) {
                long start = System.nanoTime();
                socket.getOutputStream().write(request);
                int firstByte = in.read();
                if (i >= 0) {
                    firstByteMicros[i] = (System.nanoTime() - start) / 1000;
                }
                if (i == -1) {
                    edgeTimerBefore = firstByteTimer();
                }
                assertEquals('H', firstByte);
                HttpAnswer answer = HttpAnswer.read(in);
                assertEquals(200, answer.status());
                assertEquals(EDGE + "; hit", answer.header("cache-status"));
                assertEquals(first.body(), answer.body(), "the origin's answer, byte for byte");
            }
        }
        double[] edgeTimerAfter = firstByteTimer();
        double edgeMeanMicros = (edgeTimerAfter[1] - edgeTimerBefore[1]) / (edgeTimerAfter[0] - edgeTimerBefore[0]) * 1e6;
        Arrays.sort(firstByteMicros);
        long median = firstByteMicros[firstByteMicros.length / 2];
        System.out.printf("[AnswerCacheTest] answer cache hit, first byte: at the edge (its own timer) mean %.0f µs;"
                        + " at a raw-socket client median %d µs, min %d µs, max %d µs%n", edgeMeanMicros, median,
                firstByteMicros[0], firstByteMicros[firstByteMicros.length - 1]);
        // The acceptance bound, 10 ms, on the edge's own measure; the client's, which adds this JVM's
        // scheduling on a shared 2-core machine, gets a generous bound.
        assertTrue(edgeMeanMicros < 10_000, "edge first byte " + edgeMeanMicros + " µs (expected: < 10 ms)");
        assertTrue(median < 50_000, "client median first byte " + median + " µs (expected: < 50 ms)");
        assertEquals(before + 1, originChats(), "the origin answered once");
        String metrics = network.metrics(EDGE);
        assertTrue(ApiNetwork.sample(metrics, "yunjing_proxy_api_answer_cache_total", "result=\"hit\"") >= 35);
        assertTrue(ApiNetwork.sample(metrics, "yunjing_proxy_api_answer_cache_total", "result=\"stored\"") >= 1);
        assertTrue(ApiNetwork.sample(metrics, "yunjing_proxy_api_time_to_first_byte_seconds_count",
                "source=\"answer_cache\"") >= 35, "hits are timed apart from upstream answers");
        assertTrue(ApiNetwork.sample(metrics, "yunjing_proxy_api_time_to_first_byte_seconds_count",
                "source=\"upstream\"") >= 1);
        assertTrue(ApiNetwork.sample(metrics, "yunjing_proxy_api_time_to_first_byte_seconds_bucket",
                "source=\"answer_cache\"", "le=\"+Inf\"") >= 35, "histogram buckets are published");
        assertTrue(ApiNetwork.sample(metrics, "yunjing_proxy_api_duration_seconds_bucket", "source=\"upstream\"",
                "le=\"+Inf\"") >= 1);
    }

    @Test
    void keysOfOneTenantShare_otherTenantsNever() throws Exception {
        String body = chat(freshPrompt(), false, "");
        double before = originChats();
        assertEquals(200, post(TENANT_A, body).statusCode());
        HttpResponse<String> sameTenant = post(TENANT_A_OTHER_KEY, body);
        assertEquals(EDGE + "; hit", cacheStatus(sameTenant));
        HttpResponse<String> otherTenant = post(TENANT_B, body);
        assertEquals(200, otherTenant.statusCode());
        assertFalse(cacheStatus(otherTenant).contains("hit"), cacheStatus(otherTenant));
        assertEquals(before + 2, originChats(), "tenant b was answered by the origin");
    }

    @Test
    void streamedAnswer_isStoredAfterDone_andReplayedAsJsonOrAsAStream_withTheSdk() throws Exception {
        String prompt = freshPrompt();
        OpenAIClient sdk = OpenAiSdkTest.client(network.apiBase(EDGE), TENANT_A);
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("tiny-llama")
                .addUserMessage(prompt).temperature(0.0).maxTokens(10).build();
        double before = originChats();
        String streamed = OpenAiSdkTest.streamedText(sdk, params);
        assertFalse(streamed.isEmpty());
        String whole = sdk.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
        assertEquals(streamed, whole, "the stored stream, replayed as JSON");
        assertEquals(streamed, OpenAiSdkTest.streamedText(sdk, params), "replayed as a stream");
        assertEquals(before + 1, originChats());

        HttpResponse<String> raw = post(TENANT_A, chat(prompt, true, ""));
        assertEquals(EDGE + "; hit", cacheStatus(raw));
        assertTrue(raw.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        assertTrue(raw.body().endsWith("data: [DONE]\n\n"), raw.body());
        assertFalse(raw.body().contains("usage"), "not asked for: " + raw.body());
        HttpResponse<String> withUsage = post(TENANT_A, chat(prompt, true, ",\"stream_options\":{\"include_usage\":true}"));
        assertEquals(EDGE + "; hit", cacheStatus(withUsage));
        assertTrue(withUsage.body().contains("\"choices\":[],\"usage\":{"), withUsage.body());
    }

    @Test
    void aStreamTheClientLeft_isNotStored() throws Exception {
        String prompt = freshPrompt();
        String body = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],"
                + "\"max_tokens\":1500,\"ignore_eos\":true,\"temperature\":0,\"stream\":true}";
        try (SseSocket left = new SseSocket(network.role(EDGE).http(), TENANT_A, body)) {
            assertEquals(200, left.status());
            assertNotNull(left.nextData());
        }
        HttpResponse<String> again = post(TENANT_A, body.replace("1500", "1499"));
        assertFalse(cacheStatus(again).contains("hit"));
        HttpResponse<String> same = post(TENANT_A, body);
        assertEquals(200, same.statusCode());
        assertFalse(cacheStatus(same).contains("hit"), "the cancelled stream was not stored");
    }

    @Test
    void onlyOptedInDeterministicRequests_areCached() throws Exception {
        String prompt = freshPrompt();
        double before = originChats();
        // The pro plan has no answer cache: only the header opts in.
        assertEquals(200, post(PRO, chat(prompt, false, "")).statusCode());
        assertFalse(cacheStatus(post(PRO, chat(prompt, false, ""))).contains("hit"));
        assertEquals(200, post(PRO, chat(prompt, false, ""), "X-Yunjing-Cache", "on").statusCode());
        assertEquals(EDGE + "; hit", cacheStatus(post(PRO, chat(prompt, false, ""), "X-Yunjing-Cache", "on")));
        // A cached plan's request can opt out, and sampling requests are never cached.
        String sampled = chat(prompt, false, "").replace("\"temperature\":0", "\"temperature\":0.7");
        assertEquals(200, post(TENANT_B, sampled).statusCode());
        assertFalse(cacheStatus(post(TENANT_B, sampled)).contains("hit"));
        assertEquals(200, post(TENANT_B, chat(prompt, false, ""), "X-Yunjing-Cache", "off").statusCode());
        assertFalse(cacheStatus(post(TENANT_B, chat(prompt, false, ""), "X-Yunjing-Cache", "off")).contains("hit"));
        assertEquals(before + 7, originChats());
    }
}
