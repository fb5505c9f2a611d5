package yunjing.origin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code "stream": true} over HTTP/1.1, read chunk by chunk from a raw socket. */
class StreamingTest {

    @RegisterExtension
    static final OriginServerExtension origin = new OriginServerExtension();
    static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> streamEvents(String extra) throws Exception {
        try (RawHttp1 raw = new RawHttp1(origin.address())) {
            raw.post("/v1/chat/completions", "{\"model\":\"tiny-llama\",\"stream\":true,\"temperature\":0,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream something\"}]" + extra + "}");
            raw.readHead();
            assertEquals(200, raw.status);
            assertEquals("text/event-stream; charset=utf-8", raw.headers.get("content-type"));
            assertEquals("no-cache", raw.headers.get("cache-control"));
            assertEquals("chunked", raw.headers.get("transfer-encoding"));
            assertEquals("yunjing-origin/" + OriginServerExtension.NODE, raw.headers.get("server"));
            List<String> chunks = new ArrayList<>();
            for (String c = raw.readChunk(); c != null; c = raw.readChunk()) {
                chunks.add(c);
            }
            return chunks;
        }
    }

    @Test
    void stream_sendsEachEventAsItsOwnChunk_endingWithDone() throws Exception {
        List<String> chunks = streamEvents(",\"max_tokens\":20,\"ignore_eos\":true");
        for (String c : chunks) {
            assertTrue(c.startsWith("data: ") && c.endsWith("\n\n") && c.indexOf("\n\n") == c.length() - 2,
                    "one event per chunk, flushed on its own: " + c);
        }
        assertEquals("data: [DONE]\n\n", chunks.get(chunks.size() - 1));

        JsonNode first = JSON.readTree(chunks.get(0).substring(6));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());

        JsonNode last = JSON.readTree(chunks.get(chunks.size() - 2).substring(6));
        assertEquals("length", last.at("/choices/0/finish_reason").asText());
        assertTrue(last.at("/choices/0/delta").isEmpty());

        StringBuilder text = new StringBuilder();
        String id = first.get("id").asText();
        for (String c : chunks.subList(1, chunks.size() - 2)) {
            JsonNode chunk = JSON.readTree(c.substring(6));
            assertEquals(id, chunk.get("id").asText(), "all chunks share the id");
            assertTrue(chunk.at("/choices/0/finish_reason").isNull());
            text.append(chunk.at("/choices/0/delta/content").asText());
        }
        assertTrue(chunks.size() - 3 >= 10, "content arrives over many events: " + chunks.size());

        // The streamed text is the text the same greedy request returns whole.
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            String whole = client.send(java.net.http.HttpRequest.newBuilder(origin.uri("/v1/chat/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny-llama\",\"temperature\":0,"
                            + "\"max_tokens\":20,\"ignore_eos\":true,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream something\"}]}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertEquals(JSON.readTree(whole).at("/choices/0/message/content").asText(), text.toString());
        }
    }

    @Test
    void includeUsage_addsAUsageChunkBeforeDone() throws Exception {
        List<String> chunks = streamEvents(",\"max_tokens\":6,\"ignore_eos\":true,"
                + "\"stream_options\":{\"include_usage\":true}");
        JsonNode usageChunk = JSON.readTree(chunks.get(chunks.size() - 2).substring(6));
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals(6, usageChunk.at("/usage/completion_tokens").asInt());
        JsonNode finish = JSON.readTree(chunks.get(chunks.size() - 3).substring(6));
        assertEquals("length", finish.at("/choices/0/finish_reason").asText());
        assertTrue(finish.get("usage").isNull(), "usage is null on every chunk but the last");
    }

    @Test
    void keepAlive_servesTheNextRequestOnTheSameConnection() throws Exception {
        try (RawHttp1 raw = new RawHttp1(origin.address())) {
            raw.post("/v1/chat/completions", "{\"model\":\"tiny-llama\",\"stream\":true,\"max_tokens\":3,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}");
            raw.readHead();
            while (raw.readChunk() != null) {
                // drain the stream
            }
            raw.send("GET", "/v1/models", java.util.Map.of(), null);
            raw.headers.clear();
            raw.readHead();
            assertEquals(200, raw.status);
            assertEquals("list", JSON.readTree(raw.readFixedBody()).get("object").asText());
        }
    }
}
