package yunjing.sync.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

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

    /** Length of the git-lfs pointer file for this content (its spec v1 text), which hub clients expect. */
    private static int pointerSize(Manifest.Entry e) {
        String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + e.sha256() + "\nsize " + e.size() + "\n";
        return pointer.getBytes(StandardCharsets.US_ASCII).length;
    }

    static ObjectNode error(ObjectMapper json, String message) {
        return json.createObjectNode().put("error", message);
    }
}
