package yunjing.deploy.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An Open-AutoGLM phone agent: each step sends the task, the text of the steps so far and a fresh
 * screenshot (a base64 PNG data URL of ~500 KB in an {@code image_url} part) as a streamed chat completion
 * at temperature 0, then appends the answer to its history. Like Open-AutoGLM it keeps only the newest
 * screenshot in the history, so every body carries one image and a growing text.
 *
 * <p>The origin's test model is text-only: the benchmark's topology sets it to drop image parts untokenized
 * ({@code images: ignore}, see EmulatedNetwork), so the image costs the network, not the model.
 */
final class AgentClient {
    static final String WORKLOAD = "agent-step";
    static final int SCREENSHOT_BASE64_BYTES = 500 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String model;
    private final String apiKey;
    private final int maxTokens;
    private final SplittableRandom random;

    AgentClient(String model, String apiKey, int maxTokens, long seed) {
        this.model = model;
        this.apiKey = apiKey;
        this.maxTokens = maxTokens;
        this.random = new SplittableRandom(seed);
    }

    List<Sample> run(ClientSession session, int steps) {
        List<Sample> out = new ArrayList<>(steps);
        ArrayNode history = JSON.createArrayNode();
        history.addObject().put("role", "system").put("content",
                "You are a phone operating agent. Answer with one action: Tap, Swipe, Type, Back or Finish.");
        for (int step = 1; step <= steps; step++) {
            ObjectNode user = history.addObject().put("role", "user");
            ArrayNode parts = user.putArray("content");
            parts.addObject().put("type", "text").put("text",
                    "Task: open the weather app and read tomorrow's forecast. Step " + step + ". Current screen:");
            parts.addObject().put("type", "image_url").putObject("image_url").put("url", screenshot());
            StringBuilder answer = new StringBuilder();
            HttpRequest request = HttpRequest.newBuilder(session.route().uri("/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(120))
                    .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body(history))).build();
            out.add(session.exchange(WORKLOAD, request, (response, in, start) -> stream(response, in, start, answer)));
            // Open-AutoGLM drops the screenshot once the step is done and keeps the text.
            parts.remove(1);
            history.addObject().put("role", "assistant").put("content", answer.toString());
        }
        return out;
    }

    private byte[] body(ArrayNode history) {
        ObjectNode root = JSON.createObjectNode().put("model", model).put("stream", true).put("temperature", 0)
                .put("max_tokens", maxTokens);
        root.set("messages", history);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a chat body", e);
        }
    }

    private String screenshot() {
        byte[] raw = new byte[SCREENSHOT_BASE64_BYTES / 4 * 3];
        random.nextBytes(raw);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(raw);
    }

    private static ClientSession.BodyReader.Result stream(HttpResponse<InputStream> response, InputStream in, long start,
                                                          StringBuilder answer) throws IOException {
        if (response.statusCode() != 200) {
            return new ClientSession.BodyReader.Result(in.readAllBytes().length, -1, "status " + response.statusCode());
        }
        long bytes = 0;
        long ttft = -1;
        boolean done = false;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = reader.readLine()) != null; ) {
            bytes += line.length() + 1;
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode delta = JSON.readTree(data).path("choices").path(0).path("delta");
            String content = delta.path("content").asText("");
            if (!content.isEmpty()) {
                if (ttft < 0) {
                    ttft = System.nanoTime() - start;
                }
                answer.append(content);
            }
        }
        if (ttft < 0) {
            ttft = System.nanoTime() - start; // no visible text at all: the first token was the end of the answer
        }
        String error = done ? null : "stream ended without [DONE]";
        return new ClientSession.BodyReader.Result(bytes, ttft, error);
    }
}
