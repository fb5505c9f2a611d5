package yunjing.origin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.origin.sched.SchedulerConfig;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admission control over HTTP: a flood of requests gets answers, never failures — 200 for what fits, 429 (over the
 * queue's time budget) or 503 (queue at its hard cap) with {@code Retry-After} and {@code retry_after_seconds}
 * for the rest.
 */
class SchedulerHttpTest {

    /** Any measured wait is over a 1 ms budget: requests that would queue get 429. */
    @RegisterExtension
    static final OriginServerExtension tightBudget = new OriginServerExtension(new SchedulerConfig(2, 256, 16, 8192,
            0, 64, Duration.ofMillis(1), Duration.ofMinutes(5), 1.0));

    /** One running, one waiting, the rest 503. */
    @RegisterExtension
    static final OriginServerExtension tinyQueue = new OriginServerExtension(new SchedulerConfig(1, 256, 16, 8192,
            0, 1, Duration.ofHours(1), Duration.ofMinutes(5), 1.0));

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LONG = "{\"model\":\"tiny-llama\",\"temperature\":0,\"ignore_eos\":true,\"max_tokens\":400,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"flood\"}]}";
    static final int FLOOD = 24;

    private static List<HttpResponse<String>> flood(OriginServerExtension origin) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
            futures.add(client.sendAsync(HttpRequest.newBuilder(origin.uri("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(LONG)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private static void assertRetryLater(HttpResponse<String> r, String type) throws Exception {
        String retryAfter = r.headers().firstValue("retry-after").orElse(null);
        assertNotNull(retryAfter, "Retry-After on " + r.statusCode());
        long seconds = Long.parseLong(retryAfter);
        assertTrue(seconds >= 1, retryAfter);
        JsonNode body = JSON.readTree(r.body());
        assertEquals(seconds, body.get("retry_after_seconds").asLong());
        assertEquals(type, body.at("/error/type").asText());
        assertTrue(body.at("/error/message").asText().contains("retry later"), r.body());
    }

    private static void warmUp(OriginServerExtension origin) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        origin.uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"tiny-llama\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void flood_overTheQueueBudget_gets429WithRetryAfter() throws Exception {
        warmUp(tightBudget); // measures the step rate the wait estimate needs
        int ok = 0;
        int refused = 0;
        for (HttpResponse<String> r : flood(tightBudget)) {
            if (r.statusCode() == 200) {
                ok++;
                assertEquals("length", JSON.readTree(r.body()).at("/choices/0/finish_reason").asText());
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertRetryLater(r, "rate_limit_exceeded");
                refused++;
            }
        }
        assertTrue(ok >= 2, "the batch's two places were used: " + ok);
        assertTrue(refused >= 1, "the flood was refused in part");
        assertEquals(refused, tightBudget.requests("chat_completions", 429));
        assertEquals(refused, tightBudget.metrics().get("yunjing.origin.rejections").tag("reason", "queue_budget")
                .counter().count());
    }

    @Test
    void flood_pastTheHardCap_gets503WithRetryAfter() throws Exception {
        int ok = 0;
        int refused = 0;
        for (HttpResponse<String> r : flood(tinyQueue)) {
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(503, r.statusCode(), r.body());
                assertRetryLater(r, "server_error");
                refused++;
            }
        }
        assertTrue(ok >= 1 && refused >= 1, ok + " served, " + refused + " refused");
        assertEquals(0, tinyQueue.metrics().get("yunjing.origin.kv.blocks.used").gauge().value(),
                "every block back in the pool");
        assertTrue(tinyQueue.metrics().get("yunjing.origin.queue.time").timer().count() >= ok);
    }

    @Test
    void badPriorityHeader_isRefusedWith400() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        tinyQueue.uri("/v1/chat/completions")).header("X-Yunjing-Priority", "urgent")
                .POST(HttpRequest.BodyPublishers.ofString(LONG)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertEquals("invalid_priority", JSON.readTree(r.body()).at("/error/code").asText());
    }
}
