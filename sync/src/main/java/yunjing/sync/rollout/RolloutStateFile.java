package yunjing.sync.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the control node's rollout state, one JSON file: written to a temporary file,
 * fsynced and renamed over the old one, so a crash leaves the old state or the new one.
 */
final class RolloutStateFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    RolloutStateFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    Map<String, RepoRollout> load() throws IOException {
        Map<String, RepoRollout> repos = new TreeMap<>();
        if (!Files.isRegularFile(file)) {
            return repos;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            for (JsonNode r : root.path("repos")) {
                List<String> history = new ArrayList<>();
                r.path("history").forEach(h -> history.add(h.asText()));
                Map<String, String> pins = new LinkedHashMap<>();
                r.path("pins").properties().forEach(e -> pins.put(e.getKey(), e.getValue().asText()));
                RepoRollout rollout = new RepoRollout(text(r, "repo"), text(r, "stable"), text(r, "canary"),
                        text(r, "published"), history, pins, Instant.parse(r.path("changed").asText()));
                if (rollout.repo() == null || rollout.stable() == null) {
                    throw new IOException("a repository without 'repo' or 'stable'");
                }
                repos.put(rollout.repo(), rollout);
            }
        } catch (IOException | DateTimeParseException e) {
            throw new IOException(file + ": not a rollout state file: " + e.getMessage(), e);
        }
        return repos;
    }

    void save(Map<String, RepoRollout> repos) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("repos");
        for (RepoRollout r : repos.values()) {
            list.add(toJson(r));
        }
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static ObjectNode toJson(RepoRollout r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("repo", r.repo()).put("stable", r.stable()).put("canary", r.canary()).put("published", r.published());
        ArrayNode history = n.putArray("history");
        r.history().forEach(history::add);
        ObjectNode pins = n.putObject("pins");
        new TreeMap<>(r.pins()).forEach(pins::put);
        n.put("changed", r.changed().toString());
        return n;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
