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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent session resends its growing conversation: the second turn reuses the first turn's KV cache (visible
 * in {@code prefix.cache.hits}) and answers as it would from cold.
 */
class PrefixReuseHttpTest {

    @RegisterExtension
    static final OriginServerExtension origin = new OriginServerExtension();
    /** The same model with prefix reuse off: every prompt prefilled from cold. */
    @RegisterExtension
    static final OriginServerExtension cold = new OriginServerExtension(new SchedulerConfig(16, 256, 16, 8192, 0,
            256, Duration.ofSeconds(30), Duration.ofMinutes(10), 1.0));
    static final ObjectMapper JSON = new ObjectMapper();

    private static String complete(OriginServerExtension server, String messages) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        server.uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"tiny-llama\",\"temperature\":0,\"max_tokens\":16,\"messages\":" + messages + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        return body.at("/choices/0/message/content").asText();
    }

    private static double counter(String name) {
        return origin.metrics().get("yunjing.origin." + name).counter().count();
    }

    @Test
    void secondTurn_skipsTheSharedPrefill_andAnswersAsFromCold() throws Exception {
        String turn1 = "[{\"role\":\"system\",\"content\":\"You are the mirror's agent; answer briefly.\"},"
                + "{\"role\":\"user\",\"content\":\"Which edges serve Shanghai?\"}]";
        String answer = complete(origin, turn1);
        double hitsBefore = counter("prefix.cache.hits");
        String turn2 = turn1.substring(0, turn1.length() - 1) + ",{\"role\":\"assistant\",\"content\":"
                + JSON.writeValueAsString(answer) + "},{\"role\":\"user\",\"content\":\"And Guangzhou?\"}]";
        String warm = complete(origin, turn2);
        double hits = counter("prefix.cache.hits") - hitsBefore;
        assertTrue(hits >= 16, "the first turn's prompt blocks were reused: " + hits + " tokens");
        assertTrue(origin.metrics().get("yunjing.origin.prefix.cache.hit.rate").gauge().value() > 0);

        assertEquals(complete(cold, turn2), warm, "same answer as a cold prefill");
        assertEquals(0, cold.metrics().get("yunjing.origin.prefix.cache.hits").counter().count());
    }
}
