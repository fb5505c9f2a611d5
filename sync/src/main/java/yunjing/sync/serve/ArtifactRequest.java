package yunjing.sync.serve;

import io.netty.handler.codec.http.HttpResponseStatus;
import yunjing.sync.chunk.ByteSpan;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One request for the artifact store, parsed from its request target:
 * <pre>
 *   GET       /api/models/{org}/{repo}                      → MODEL_INFO at "main"
 *   GET       /api/models/{org}/{repo}/revision/{rev}       → MODEL_INFO at rev
 *   GET       /api/models/{org}/{repo}/commits/{rev}        → COMMITS: the revisions published up to rev, newest
 *                                                             first, as the hub lists commits (one page)
 *   GET       /api/models/{org}/{repo}/tree/{rev}[/{dir...}][?recursive=true]
 *                                                           → TREE (TREE_RECURSIVE): the files and directories
 *                                                             in dir (under it), as the hub's tree API lists them
 *   POST      /api/models/{org}/{repo}/paths-info/{rev}     → PATHS_INFO: the entries of the paths in the body
 *                                                             (JSON {"paths": […], "expand": …} or a form)
 *   GET/HEAD  /{org}/{repo}/resolve/{rev}/{path...}         → FILE
 *   GET       /api/sync/{org}/{repo}/manifest/{rev}         → MANIFEST (the signed manifest, as stored)
 *   GET       /api/sync/{org}/{repo}/bytes/{rev}/{a}-{b}[,{c}-{d}…]/{path...}
 *                                                           → BYTES: bytes a..b (then c..d, …) of a file as a
 *                                                             200 of its own, so tier caches store and share it
 *   GET       /api/sync/{org}/{repo}/blocks/{rev}/{a}-{b}[,{c}-{d}…]/{path...}
 *                                                           → BLOCKS: the block digests of bytes a..b (then of
 *                                                             c..d, …) ({@link yunjing.sync.chunk.BlockDigests})
 * </pre>
 * Each segment is percent-decoded on its own (RFC 3986 §2.1), so an encoded {@code /} cannot join
 * segments; {@code .} and {@code ..} segments, empty segments and control characters are refused
 * before anything touches the file system.
 */
record ArtifactRequest(Kind kind, String repo, String revision, String path, List<ByteSpan> spans) {

    enum Kind { MODEL_INFO, TREE, TREE_RECURSIVE, PATHS_INFO, COMMITS, FILE, MANIFEST, BYTES, BLOCKS }

    ArtifactRequest(Kind kind, String repo, String revision, String path) {
        this(kind, repo, revision, path, List.of());
    }

    static final String MODELS_API = "/api/models/";
    static final String SYNC_API = "/api/sync/";
    static final String DEFAULT_REVISION = "main";

    /** True when {@code target}'s path is one this handler serves (it may still be malformed). */
    static boolean matches(String target) {
        String path = rawPath(target);
        if (path.startsWith(MODELS_API) || path.startsWith(SYNC_API)) {
            return true;
        }
        String[] s = path.split("/", 5);
        return s.length == 5 && s[0].isEmpty() && s[3].equals("resolve");
    }

    static ArtifactRequest parse(String target) throws ServeException {
        String raw = rawPath(target);
        List<String> s = segments(raw);
        if (raw.startsWith(MODELS_API)) {
            // api, models, org, repo [, revision, rev]
            if (s.size() == 4) {
                return new ArtifactRequest(Kind.MODEL_INFO, repo(s), DEFAULT_REVISION, null);
            }
            if (s.size() == 6 && s.get(4).equals("revision")) {
                return new ArtifactRequest(Kind.MODEL_INFO, repo(s), s.get(5), null);
            }
            if (s.size() == 6 && s.get(4).equals("commits")) {
                return new ArtifactRequest(Kind.COMMITS, repo(s), s.get(5), null);
            }
            if (s.size() == 6 && s.get(4).equals("paths-info")) {
                return new ArtifactRequest(Kind.PATHS_INFO, repo(s), s.get(5), null);
            }
            // api, models, org, repo, tree, rev [, dir...]
            if (s.size() >= 6 && s.get(4).equals("tree")) {
                return new ArtifactRequest(recursive(target) ? Kind.TREE_RECURSIVE : Kind.TREE, repo(s), s.get(5),
                        String.join("/", s.subList(6, s.size())));
            }
        } else if (raw.startsWith(SYNC_API)) {
            // api, sync, org, repo, manifest, rev
            if (s.size() == 6 && s.get(4).equals("manifest")) {
                return new ArtifactRequest(Kind.MANIFEST, repo(s), s.get(5), null);
            }
            // api, sync, org, repo, bytes, rev, a-b[,c-d…], path...
            if (s.size() >= 8 && (s.get(4).equals("bytes") || s.get(4).equals("blocks"))) {
                List<ByteSpan> spans;
                try {
                    spans = ByteSpan.parse(s.get(6));
                } catch (IllegalArgumentException e) {
                    throw ServeException.badRequest(e.getMessage());
                }
                return new ArtifactRequest(s.get(4).equals("bytes") ? Kind.BYTES : Kind.BLOCKS, repo(s), s.get(5),
                        String.join("/", s.subList(7, s.size())), spans);
            }
        } else if (s.size() >= 5 && s.get(2).equals("resolve")) {
            String repo = s.get(0) + "/" + s.get(1);
            return new ArtifactRequest(Kind.FILE, repo, s.get(3), String.join("/", s.subList(4, s.size())));
        }
        throw new ServeException(HttpResponseStatus.NOT_FOUND, "NotFound",
                "no such artifact endpoint: " + raw + " (expected: /api/models/{org}/{repo}[/revision/{rev}|/tree/{rev}[/{dir}]],"
                        + " /{org}/{repo}/resolve/{rev}/{path} or /api/sync/{org}/{repo}/manifest/{rev})");
    }

    /** {@code recursive=true} (or {@code 1}) in the query, as hub clients send it. */
    private static boolean recursive(String target) {
        int q = target.indexOf('?');
        if (q < 0) {
            return false;
        }
        for (String pair : target.substring(q + 1).split("&")) {
            if (pair.equals("recursive=true") || pair.equals("recursive=1") || pair.equals("recursive=True")) {
                return true;
            }
        }
        return false;
    }

    private static String repo(List<String> s) {
        return s.get(2) + "/" + s.get(3);
    }

    private static String rawPath(String target) {
        int q = target.indexOf('?');
        int f = target.indexOf('#');
        int end = q >= 0 ? q : f >= 0 ? f : target.length();
        return target.substring(0, end);
    }

    private static List<String> segments(String raw) throws ServeException {
        if (!raw.startsWith("/")) {
            throw ServeException.badRequest("request target: '" + raw + "' (expected: an origin-form path)");
        }
        List<String> out = new ArrayList<>();
        for (String segment : raw.substring(1).split("/", -1)) {
            String decoded;
            try {
                decoded = URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ServeException.badRequest("path segment '" + segment + "': invalid percent-encoding");
            }
            if (decoded.isEmpty() || decoded.equals(".") || decoded.equals("..") || decoded.indexOf('/') >= 0
                    || decoded.indexOf('\\') >= 0 || decoded.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw ServeException.badRequest("path segment '" + segment
                        + "': empty, '.', '..', or holds '/', '\\' or control characters (refused)");
            }
            out.add(decoded);
        }
        return out;
    }
}
