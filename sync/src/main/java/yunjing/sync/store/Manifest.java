package yunjing.sync.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The file list of a revision: path, size and SHA-256 of every file, sorted by path. */
public record Manifest(String repo, List<Entry> entries) {

    static final String FILE_NAME = ".yunjing-manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Entry(String path, long size, String sha256) {
    }

    public Manifest {
        entries = List.copyOf(entries);
    }

    /** Content address: the same repo and files give the same id, whoever publishes them. */
    String revisionId() {
        StringBuilder canonical = new StringBuilder(repo).append('\n');
        for (Entry e : entries) {
            canonical.append(e.path()).append('\t').append(e.size()).append('\t').append(e.sha256()).append('\n');
        }
        return Digests.sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 40);
    }

    String toJson(String revision) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("repo", repo).put("revision", revision);
        ArrayNode files = root.putArray("files");
        for (Entry e : entries) {
            files.addObject().put("path", e.path()).put("size", e.size()).put("sha256", e.sha256());
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    static Manifest parse(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        List<Entry> entries = new ArrayList<>();
        for (JsonNode f : root.path("files")) {
            entries.add(new Entry(f.path("path").asText(), f.path("size").asLong(), f.path("sha256").asText()));
        }
        if (!root.hasNonNull("repo") || entries.isEmpty()) {
            throw new IOException(file + ": not a yunjing manifest (missing repo or files)");
        }
        return new Manifest(root.get("repo").asText(), entries);
    }
}
