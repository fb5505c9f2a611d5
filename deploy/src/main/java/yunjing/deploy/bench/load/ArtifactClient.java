package yunjing.deploy.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.http.HttpRequest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A hub client downloading model files the way {@code huggingface_hub} does: the model info
 * ({@code GET /api/models/{repo}}) names the commit and the files; per file a {@code HEAD} of
 * {@code /{repo}/resolve/{commit}/{file}} gives the SHA-256 ({@code X-Linked-Etag}) and size, then the body
 * comes in {@code Range: bytes=a-b} pieces, each a 206, as a resumed download does. The assembled file must
 * hash to the announced SHA-256.
 *
 * <p>Every request is one {@link Sample}. A failed piece is resumed from the same offset (at most
 * {@link #TRIES} tries in all); the failed attempt stays in the samples as the error it was.
 */
final class ArtifactClient {
    static final String WORKLOAD = "artifact";
    /** The weights and the tokenizer: what a client fetches before it can run the model. */
    static final List<String> FILES = List.of("model.safetensors", "tokenizer.json");
    static final int TRIES = 3;
    static final String SHA_MISMATCH = "assembled file's SHA-256 differs from X-Linked-Etag";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String repo;
    private final int pieceBytes;

    ArtifactClient(String repo, int pieceBytes) {
        this.repo = repo;
        this.pieceBytes = pieceBytes;
    }

    /** {@code downloads} full downloads of {@link #FILES}, one after another. */
    List<Sample> run(ClientSession session, int downloads) {
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < downloads; i++) {
            download(session, out);
        }
        return out;
    }

    private void download(ClientSession session, List<Sample> out) {
        String[] commit = new String[1];
        JsonNode[] siblings = new JsonNode[1];
        out.add(session.exchange(WORKLOAD, get(session, "/api/models/" + repo).build(), (response, in, start) -> {
            byte[] body = in.readAllBytes();
            if (response.statusCode() != 200) {
                return new ClientSession.BodyReader.Result(body.length, -1, "model info: status " + response.statusCode());
            }
            JsonNode info = JSON.readTree(body);
            commit[0] = info.path("sha").asText("");
            siblings[0] = info.path("siblings");
            String error = !commit[0].matches("[0-9a-f]{40}") ? "model info without a commit id"
                    : FILES.stream().allMatch(f -> size(siblings[0], f) >= 0) ? null : "model info lacks " + FILES;
            return new ClientSession.BodyReader.Result(body.length, -1, error);
        }));
        if (!out.get(out.size() - 1).ok()) {
            return;
        }
        for (String file : FILES) {
            if (!file(session, out, commit[0], file, size(siblings[0], file))) {
                return; // a client gives up on the download once a file cannot be had
            }
        }
    }

    /** HEAD, then the pieces; false when the file could not be fetched and verified. */
    private boolean file(ClientSession session, List<Sample> out, String commit, String file, long listedSize) {
        String path = "/" + repo + "/resolve/" + commit + "/" + file;
        String[] sha256 = new String[1];
        Sample head = session.exchange(WORKLOAD, get(session, path).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(), (response, in, start) -> {
            long bytes = in.readAllBytes().length;
            String tag = response.headers().firstValue("X-Linked-Etag").orElse("").replace("\"", "");
            sha256[0] = tag;
            String error = response.statusCode() != 200 ? "HEAD: status " + response.statusCode()
                    : !commit.equals(response.headers().firstValue("X-Repo-Commit").orElse("")) ? "HEAD: another X-Repo-Commit"
                    : !tag.matches("[0-9a-f]{64}") ? "HEAD: no SHA-256 in X-Linked-Etag"
                    : !String.valueOf(listedSize).equals(response.headers().firstValue("X-Linked-Size").orElse(""))
                    ? "HEAD: X-Linked-Size differs from the model info" : null;
            return new ClientSession.BodyReader.Result(bytes, -1, error);
        });
        out.add(head);
        if (!head.ok()) {
            return false;
        }
        MessageDigest digest = sha256();
        for (long offset = 0; offset < listedSize; ) {
            long last = Math.min(offset + pieceBytes, listedSize) - 1;
            boolean got = false;
            for (int attempt = 0; attempt < TRIES && !got; attempt++) {
                Sample piece = piece(session, path, offset, last, listedSize, digest, sha256[0]);
                out.add(piece);
                got = piece.ok();
                if (!got && piece.error().startsWith(SHA_MISMATCH)) {
                    return false; // the bytes already taken are wrong: resuming cannot mend them
                }
            }
            if (!got) {
                return false;
            }
            offset = last + 1;
        }
        return true;
    }

    /** One {@code Range} piece; folded into {@code digest} only when it is exactly the bytes asked for. */
    private Sample piece(ClientSession session, String path, long first, long last, long size, MessageDigest digest,
                         String expectedSha256) {
        HttpRequest request = get(session, path).header("Range", "bytes=" + first + "-" + last).build();
        return session.exchange(WORKLOAD, request, (response, in, start) -> {
            byte[] body = in.readAllBytes();
            String range = "bytes " + first + "-" + last + "/" + size;
            String error = response.statusCode() != 206 ? "range: status " + response.statusCode()
                    : !range.equals(response.headers().firstValue("Content-Range").orElse("")) ? "range: Content-Range "
                    + response.headers().firstValue("Content-Range").orElse("missing") + " for " + range
                    : body.length != last - first + 1 ? "range: " + body.length + " bytes for " + range : null;
            if (error == null) {
                digest.update(body);
                if (last == size - 1) {
                    String actual = HexFormat.of().formatHex(digest.digest());
                    error = actual.equals(expectedSha256) ? null : SHA_MISMATCH;
                }
            }
            return new ClientSession.BodyReader.Result(body.length, -1, error);
        });
    }

    private static HttpRequest.Builder get(ClientSession session, String path) {
        return HttpRequest.newBuilder(session.route().uri(path)).timeout(Duration.ofSeconds(60)).GET();
    }

    /** The size the model info lists for {@code file}, or -1. */
    private static long size(JsonNode siblings, String file) {
        for (JsonNode s : siblings) {
            if (file.equals(s.path("rfilename").asText())) {
                return s.path("size").asLong(-1);
            }
        }
        return -1;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }
}
