package yunjing.deploy.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.deploy.admin.AdminEndpoint;
import yunjing.sync.rollout.RepoRollout;
import yunjing.sync.rollout.RolloutController;

import java.io.IOException;
import java.util.Map;

/**
 * The control node's rollout operations on its admin port (token, POST, a JSON body such as
 * {@code {"repo":"yunjing/tiny-llama","revision":"3f1c…"}}): {@code /rollout/status},
 * {@code /rollout/start}, {@code /rollout/promote}, {@code /rollout/rollback}, {@code /rollout/pin}
 * (with {@code node}; a null {@code revision} unpins). Bad input answers 400 with the reason.
 *
 * <p>Runs on the admin event loop: each operation writes a few small files (the state, one ref per
 * replica, at most a re-signed manifest per target), milliseconds.
 */
final class RolloutEndpoints {

    static final String PREFIX = "/rollout/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RolloutEndpoints() {
    }

    static Map<String, AdminEndpoint> of(RolloutController controller) {
        return Map.of(
                PREFIX + "status", body -> controller.status(optional(parse(body), "repo")).toString() + "\n",
                PREFIX + "start", body -> run(() -> {
                    JsonNode in = parse(body);
                    return controller.start(required(in, "repo"), required(in, "revision"));
                }, controller),
                PREFIX + "promote", body -> run(() -> {
                    JsonNode in = parse(body);
                    return controller.promote(required(in, "repo"), optional(in, "revision"));
                }, controller),
                PREFIX + "rollback", body -> run(() -> {
                    JsonNode in = parse(body);
                    return controller.rollback(required(in, "repo"), optional(in, "revision"));
                }, controller),
                PREFIX + "pin", body -> run(() -> {
                    JsonNode in = parse(body);
                    return controller.pin(required(in, "node"), required(in, "repo"), optional(in, "revision"));
                }, controller));
    }

    private interface Operation {
        RepoRollout apply() throws IOException;
    }

    private static String run(Operation operation, RolloutController controller) {
        try {
            return controller.status(operation.apply().repo()).toString() + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("rollout state: " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (!node.isObject()) {
                throw new IllegalArgumentException("body: expected a JSON object such as {\"repo\":\"org/name\"}");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String required(JsonNode in, String field) {
        String value = optional(in, field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing '" + field + "'");
        }
        return value;
    }

    private static String optional(JsonNode in, String field) {
        JsonNode v = in.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
