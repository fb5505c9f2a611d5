package yunjing.origin;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A draining origin is not ready and answers new completions with 503 and {@code Retry-After}. */
class DrainTest {

    @RegisterExtension
    static final OriginServerExtension origin = new OriginServerExtension();

    @Test
    void drain_refusesNewCompletionsWith503_andIsNotReady() throws Exception {
        assertTrue(origin.server().isReady());
        origin.server().drain();
        assertFalse(origin.server().isReady());
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        origin.uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("5", r.headers().firstValue("retry-after").orElse(null));
        assertEquals(5, new ObjectMapper().readTree(r.body()).get("retry_after_seconds").asInt());
        assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(origin.uri("/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "model listing still works");
    }
}
