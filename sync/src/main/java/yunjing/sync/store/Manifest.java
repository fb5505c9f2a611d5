package yunjing.sync.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The file list of a revision: path, size, SHA-256 and content-defined chunks of every file,
 * sorted by path, plus the publication metadata that signing covers ({@code version},
 * {@code published}, {@code expires}). See {@code sync/README.md} for the JSON format.
 *
 * <p>{@link #revision()} is a content address over repo, paths, sizes and file hashes only, so
 * re-publishing the same files yields the same revision with a newer {@code version}. Format 1
 * manifests (no chunks, version, expiry) still parse, with {@code version} 0 and
 * {@code expires} null; {@code published} is null in manifests written before it existed.
 *
 * <p>{@link #parse} refuses what a replica must never write: paths that could escape the
 * revision directory, duplicate paths, chunk lists that do not tile the file, and a revision id
 * that does not match the file list.
 */
public record Manifest(String repo, String revision, long version, Instant published, Instant expires, List<Entry> entries) {

    /** The name of the manifest file inside every revision directory. */
    public static final String FILE_NAME = ".yunjing-manifest.json";
    static final int FORMAT = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file; {@code chunks} tile {@code [0, size)} in order, or are empty in a format 1 manifest. */
    public record Entry(String path, long size, String sha256, List<Chunk> chunks) {
        public Entry {
            chunks = List.copyOf(chunks);
        }

        public Entry(String path, long size, String sha256) {
            this(path, size, sha256, List.of());
        }
    }

    public Manifest {
        entries = List.copyOf(entries);
    }

    /** An unversioned manifest whose revision is computed from the files. */
    public Manifest(String repo, List<Entry> entries) {
        this(repo, revisionIdOf(repo, entries), 0, null, null, entries);
    }

    /** This manifest with other publication metadata; the files and revision stay. */
    public Manifest withPublication(long version, Instant expires) {
        return new Manifest(repo, revision, version, published, expires, entries);
    }

    /** As above, also stamping when it was published (replicas measure their lag from it). */
    public Manifest withPublication(long version, Instant published, Instant expires) {
        return new Manifest(repo, revision, version, published, expires, entries);
    }

    /** The entry for {@code path}, or null. */
    public Entry entry(String path) {
        for (Entry e : entries) {
            if (e.path().equals(path)) {
                return e;
            }
        }
        return null;
    }

    /** Content address: the same repo and files give the same id, whoever publishes them. */
    static String revisionIdOf(String repo, List<Entry> entries) {
        StringBuilder canonical = new StringBuilder(repo).append('\n');
        for (Entry e : entries) {
            canonical.append(e.path()).append('\t').append(e.size()).append('\t').append(e.sha256()).append('\n');
        }
        return Digests.sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 40);
    }

    /** The unsigned JSON tree, in the field order written to disk. */
    public ObjectNode toTree() {
        ObjectNode root = JSON.createObjectNode()
                .put("format", FORMAT)
                .put("repo", repo)
                .put("revision", revision)
                .put("version", version);
        if (published != null) {
            root.put("published", published.toString());
        }
        if (expires != null) {
            root.put("expires", expires.toString());
        }
        root.put("chunker", FastCdc.ID);
        ArrayNode files = root.putArray("files");
        for (Entry e : entries) {
            ObjectNode file = files.addObject().put("path", e.path()).put("size", e.size()).put("sha256", e.sha256());
            ArrayNode chunks = file.putArray("chunks");
            for (Chunk c : e.chunks()) {
                chunks.addObject().put("size", c.length()).put("sha256", c.sha256());
            }
        }
        return root;
    }

    /** The unsigned manifest as pretty-printed UTF-8 JSON. */
    public byte[] toJson() throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toTree());
    }

    static Manifest parse(Path file) throws IOException {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses and checks a manifest (signed or not; the signature is not checked here). */
    public static Manifest parse(byte[] json) throws IOException {
        return fromTree(JSON.readTree(json));
    }

    /** Parses and checks a manifest tree; a {@code signature} field is ignored. */
    public static Manifest fromTree(JsonNode root) throws IOException {
        if (root == null || !root.isObject() || !root.path("repo").isTextual() || !root.path("files").isArray()) {
            throw new IOException("not a yunjing manifest (missing repo or files)");
        }
        String repo = root.get("repo").asText();
        List<Entry> entries = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (JsonNode f : root.get("files")) {
            String path = f.path("path").asText("");
            checkPath(path);
            if (!paths.add(path)) {
                throw new IOException("path '" + path + "': listed twice");
            }
            long size = f.path("size").asLong(-1);
            if (size < 0) {
                throw new IOException("path '" + path + "': size " + f.path("size") + " (expected: >= 0)");
            }
            String sha = f.path("sha256").asText("");
            if (!Chunk.isSha256Hex(sha)) {
                throw new IOException("path '" + path + "': sha256 '" + sha + "' (expected: 64 lower-case hex digits)");
            }
            entries.add(new Entry(path, size, sha, chunks(path, size, f.path("chunks"))));
        }
        if (entries.isEmpty()) {
            throw new IOException("not a yunjing manifest (no files)");
        }
        String computed = revisionIdOf(repo, entries);
        String revision = root.path("revision").asText(computed);
        if (!revision.equals(computed)) {
            throw new IOException("revision " + revision + " does not match its files (content address: " + computed + ")");
        }
        Instant expires = null;
        if (root.hasNonNull("expires")) {
            try {
                expires = Instant.parse(root.get("expires").asText());
            } catch (DateTimeParseException e) {
                throw new IOException("expires: " + root.get("expires") + " (expected: an ISO-8601 instant)", e);
            }
        }
        Instant published = null;
        if (root.hasNonNull("published")) {
            try {
                published = Instant.parse(root.get("published").asText());
            } catch (DateTimeParseException e) {
                throw new IOException("published: " + root.get("published") + " (expected: an ISO-8601 instant)", e);
            }
        }
        return new Manifest(repo, revision, root.path("version").asLong(0), published, expires, entries);
    }

    private static List<Chunk> chunks(String path, long size, JsonNode list) throws IOException {
        if (list.isMissingNode() || (list.isArray() && list.isEmpty() && size == 0)) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new IOException("path '" + path + "': chunks is not a list");
        }
        List<Chunk> chunks = new ArrayList<>(list.size());
        long offset = 0;
        for (JsonNode c : list) {
            long length = c.path("size").asLong(-1);
            if (length <= 0 || length > FastCdc.MAX_SIZE) {
                throw new IOException("path '" + path + "': chunk size " + c.path("size") + " (expected: 1.." + FastCdc.MAX_SIZE + ")");
            }
            String sha = c.path("sha256").asText("");
            if (!Chunk.isSha256Hex(sha)) {
                throw new IOException("path '" + path + "': chunk sha256 '" + sha + "' (expected: 64 lower-case hex digits)");
            }
            chunks.add(new Chunk(offset, (int) length, sha));
            offset += length;
        }
        if (offset != size) {
            throw new IOException("path '" + path + "': chunks cover " + offset + " bytes (expected: " + size + ")");
        }
        return chunks;
    }

    /**
     * Refuses a path that could resolve outside the revision directory or differently on another
     * file system: absolute, backslashes, empty, {@code .} or {@code ..} segments, drive letters,
     * control characters, or the manifest's own name.
     */
    static void checkPath(String path) throws IOException {
        boolean bad = path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains(":")
                || path.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f);
        if (!bad) {
            for (String segment : path.split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    bad = true;
                    break;
                }
            }
        }
        if (bad || path.equals(FILE_NAME)) {
            throw new IOException("path '" + path + "': escapes or is not a plain relative path in the repository"
                    + " (expected: segments separated by '/', no '.', '..', '\\', ':' or leading '/')");
        }
    }
}
