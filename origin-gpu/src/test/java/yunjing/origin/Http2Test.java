package yunjing.origin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same API over h2c: prior knowledge (Netty client) and HTTP/1.1 Upgrade (java.net.http). */
class Http2Test {

    @RegisterExtension
    static final OriginServerExtension origin = new OriginServerExtension();
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void priorKnowledge_listsModels() throws Exception {
        try (H2cClient client = new H2cClient(origin.address(), origin.loops())) {
            H2cClient.Exchange ex = client.send("GET", "/v1/models", null);
            assertEquals("200", ex.status());
            assertEquals("yunjing-origin/" + OriginServerExtension.NODE, ex.headers.get().get("server").toString());
            JsonNode body = JSON.readTree(ex.body.get(5, TimeUnit.SECONDS));
            assertEquals("tiny-llama", body.at("/data/0/id").asText());
        }
    }

    @Test
    void priorKnowledge_chatCompletion_andErrors() throws Exception {
        try (H2cClient client = new H2cClient(origin.address(), origin.loops())) {
            H2cClient.Exchange ok = client.send("POST", "/v1/chat/completions", "{\"model\":\"tiny-llama\","
                    + "\"max_tokens\":5,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            H2cClient.Exchange unknown = client.send("POST", "/v1/chat/completions",
                    "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            H2cClient.Exchange bad = client.send("POST", "/v1/chat/completions", "not json");
            assertEquals("200", ok.status());
            assertEquals("chat.completion", JSON.readTree(ok.body.get(5, TimeUnit.SECONDS)).get("object").asText());
            assertEquals("404", unknown.status());
            assertEquals("model_not_found", JSON.readTree(unknown.body.get(5, TimeUnit.SECONDS)).at("/error/code").asText());
            assertEquals("400", bad.status());
        }
    }

    @Test
    void priorKnowledge_stream_arrivesAsSeparateDataFrames() throws Exception {
        try (H2cClient client = new H2cClient(origin.address(), origin.loops())) {
            H2cClient.Exchange ex = client.send("POST", "/v1/chat/completions", "{\"model\":\"tiny-llama\","
                    + "\"stream\":true,\"max_tokens\":10,\"ignore_eos\":true,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertEquals("200", ex.status());
            assertEquals("text/event-stream; charset=utf-8", ex.headers.get().get("content-type").toString());
            String body = ex.body.get(5, TimeUnit.SECONDS);
            assertTrue(body.endsWith("data: [DONE]\n\n"), body);
            List<String> frames = ex.dataFrames;
            assertTrue(frames.size() >= 5, "frames: " + frames.size());
            for (String f : frames) {
                assertTrue(f.startsWith("data: ") && f.indexOf("\n\n") == f.length() - 2, "one event per frame: " + f);
            }
        }
    }

    @Test
    void upgradeFromHttp1_servesOverHttp2() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(origin.uri("/v1/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, r.version(), "the client upgraded with Upgrade: h2c");
            assertEquals("tiny-llama", JSON.readTree(r.body()).at("/data/0/id").asText());
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(origin.uri("/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny-llama\",\"max_tokens\":4,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());
            assertEquals(HttpClient.Version.HTTP_2, chat.version());
        }
    }
}
