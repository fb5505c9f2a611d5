package yunjing.sync.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;

/**
 * The Hugging Face model-info JSON ({@code GET /api/models/{org}/{repo}[/revision/{rev}]}) for a
 * revision: the fields hub clients read ({@code id}, {@code sha}, {@code siblings[].rfilename})
 * plus sizes and the LFS-style {@code sha256}, since every file here is content-addressed.
 */
final class HubJson {
    private HubJson() {
    }

    static ObjectNode modelInfo(ObjectMapper json, Revision revision, Instant modified) {
        String repo = revision.repo();
        ObjectNode root = json.createObjectNode()
                .put("_id", revision.id())
                .put("id", repo)
                .put("modelId", repo)
                .put("author", repo.substring(0, repo.indexOf('/')))
                .put("sha", revision.id())
                .put("lastModified", modified.toString())
                .put("createdAt", modified.toString())
                .put("private", false)
                .put("disabled", false)
                .put("gated", false)
                .put("downloads", 0)
                .put("likes", 0);
        root.putArray("tags");
        ArrayNode siblings = root.putArray("siblings");
        long total = 0;
        for (Manifest.Entry e : revision.manifest().entries()) {
            ObjectNode s = siblings.addObject().put("rfilename", e.path()).put("size", e.size());
            s.putObject("lfs").put("sha256", e.sha256()).put("size", e.size()).put("pointerSize", pointerSize(e));
            total += e.size();
        }
        root.put("usedStorage", total);
        return root;
    }

    /**
     * The hub's commit list for {@code history} (newest first): one "commit" per revision the
     * origin published, its id, when it was signed, and what it holds. Authored by the mirror.
     */
    static ArrayNode commits(ObjectMapper json, List<Revision> history) {
        ArrayNode list = json.createArrayNode();
        for (Revision r : history) {
            Manifest m = r.manifest();
            long bytes = m.entries().stream().mapToLong(Manifest.Entry::size).sum();
            ObjectNode c = list.addObject()
                    .put("id", r.id())
                    .put("title", "Publish " + r.repo() + " version " + m.version())
                    .put("message", m.entries().size() + " files, " + bytes + " bytes, signed manifest version " + m.version());
            c.putArray("authors").addObject().put("user", "yunjing").put("avatar", "");
            c.put("date", (m.published() != null ? m.published() : Instant.EPOCH).toString());
        }
        return list;
    }

    /**
     * The hub's tree listing ({@code GET /api/models/{org}/{repo}/tree/{rev}[/{dir}]}) of {@code dir}
     * ("" for the root): its files and directories, or with {@code recursive} everything under it,
     * sorted by path; null when no file lies under {@code dir}.
     */
    static ArrayNode tree(ObjectMapper json, Revision revision, String dir, boolean recursive) {
        String prefix = dir.isEmpty() ? "" : dir + "/";
        TreeMap<String, ObjectNode> all = pathEntries(json, revision);
        ObjectNode listed = all.get(dir);
        if (!dir.isEmpty() && (listed == null || !"directory".equals(listed.path("type").asText()))) {
            return null;
        }
        ArrayNode list = json.createArrayNode();
        for (var e : all.entrySet()) {
            String path = e.getKey();
            if (path.startsWith(prefix) && (recursive || path.indexOf('/', prefix.length()) < 0)) {
                list.add(e.getValue());
            }
        }
        return list;
    }

    /**
     * The hub's paths-info ({@code POST /api/models/{org}/{repo}/paths-info/{rev}}): the entries of
     * {@code paths} that exist, as the tree lists them, in the order asked; with {@code expand}, each
     * with the revision as its {@code lastCommit}.
     */
    static ArrayNode pathsInfo(ObjectMapper json, Revision revision, List<String> paths, boolean expand, Instant modified) {
        TreeMap<String, ObjectNode> all = pathEntries(json, revision);
        ArrayNode list = json.createArrayNode();
        for (String path : paths) {
            ObjectNode entry = all.get(path);
            if (entry != null) {
                ObjectNode copy = entry.deepCopy();
                if (expand) {
                    copy.putObject("lastCommit").put("id", revision.id())
                            .put("title", "yunjing revision " + revision.id()).put("date", modified.toString());
                }
                list.add(copy);
            }
        }
        return list;
    }

    /**
     * Every file and directory of the revision by path, as the hub's tree API describes them. Every
     * file is listed as an LFS file (as in the model info): {@code lfs.oid} is its SHA-256 and
     * {@code oid} the git blob id of its pointer file, as the hub gives for LFS files. A directory's
     * {@code oid} is the SHA-1 of its entries' names and ids, so it changes exactly when something
     * under it does.
     */
    private static TreeMap<String, ObjectNode> pathEntries(ObjectMapper json, Revision revision) {
        TreeMap<String, ObjectNode> entries = new TreeMap<>();
        TreeMap<String, StringBuilder> directories = new TreeMap<>();
        for (Manifest.Entry e : revision.manifest().entries()) {
            String oid = gitBlobId(pointer(e));
            ObjectNode node = json.createObjectNode().put("type", "file").put("oid", oid).put("size", e.size());
            node.putObject("lfs").put("oid", e.sha256()).put("size", e.size()).put("pointerSize", pointerSize(e));
            entries.put(e.path(), node.put("path", e.path()));
            // Every directory on the way to the file lists it (name and id) for its own id.
            for (int slash = e.path().indexOf('/'); slash >= 0; slash = e.path().indexOf('/', slash + 1)) {
                directories.computeIfAbsent(e.path().substring(0, slash), d -> new StringBuilder())
                        .append(e.path().substring(slash + 1)).append(' ').append(oid).append('\n');
            }
        }
        directories.forEach((path, listing) -> entries.put(path, json.createObjectNode().put("type", "directory")
                .put("oid", sha1Hex(listing.toString())).put("size", 0).put("path", path)));
        return entries;
    }

    /** The git-lfs pointer file for this content (its spec v1 text), which hub clients expect. */
    private static byte[] pointer(Manifest.Entry e) {
        return ("version https://git-lfs.github.com/spec/v1\noid sha256:" + e.sha256() + "\nsize " + e.size() + "\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static int pointerSize(Manifest.Entry e) {
        return pointer(e).length;
    }

    /** The id git gives a blob: SHA-1 of "blob {length}\0" and the bytes. */
    private static String gitBlobId(byte[] content) {
        MessageDigest sha1 = sha1();
        sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(sha1.digest(content));
    }

    private static String sha1Hex(String text) {
        return HexFormat.of().formatHex(sha1().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    static ObjectNode error(ObjectMapper json, String message) {
        return json.createObjectNode().put("error", message);
    }
}
