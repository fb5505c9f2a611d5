package yunjing.origin;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.origin.sched.SchedulerConfig;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A model configured with {@code images: ignore} answers from the text and drops image parts untokenized. */
class ImagePartsIgnoredTest {

    @RegisterExtension
    static final OriginServerExtension origin =
            new OriginServerExtension(SchedulerConfig.DEFAULTS, ModelSpec.ImageParts.IGNORE);
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @AfterAll
    static void closeClient() {
        client.close();
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return client.send(HttpRequest.newBuilder(origin.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String content) {
        return "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":" + content
                + "}],\"max_tokens\":8,\"temperature\":0}";
    }

    @Test
    void aLargeImage_isDroppedUntokenized_andTheTextAnswered() throws Exception {
        // ~20 MiB of base64 "PNG": tokenizing it would overflow the context; dropping it must not.
        String image = Base64.getEncoder().encodeToString(new byte[15 << 20]);
        String parts = "[{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + image + "\"}}]";
        HttpResponse<String> withImage = post(chat(parts));
        assertEquals(200, withImage.statusCode(), withImage.body());
        HttpResponse<String> textOnly = post(chat("\"What is in this picture?\""));
        assertEquals(JSON.readTree(textOnly.body()).at("/choices/0/message/content"),
                JSON.readTree(withImage.body()).at("/choices/0/message/content"));
        assertEquals(1.0, origin.counter("yunjing.origin.image.parts.dropped"));
    }
}
