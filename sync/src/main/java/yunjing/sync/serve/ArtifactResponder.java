package yunjing.sync.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import yunjing.sync.chunk.BlockDigests;
import yunjing.sync.chunk.ByteSpan;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * The blocking half of the artifact handler: looks a request up in the store and builds the
 * {@link Reply}. Runs on the service's executor, never on an event loop (it reads ref files,
 * manifests and opens files).
 *
 * <p>Caching (RFC 9111, RFC 8246): anything named by a 40-hex revision id can never change and is
 * {@code immutable}; anything named by a branch may move, so caches keep it {@value #BRANCH_MAX_AGE}
 * seconds and may serve it stale while they revalidate. Signed manifests are {@code no-cache} with
 * an ETag: caches keep them but ask each time, so a replica's conditional poll costs a 304.
 */
final class ArtifactResponder {

    static final int BRANCH_MAX_AGE = 60;
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String BRANCH = "public, max-age=" + BRANCH_MAX_AGE + ", stale-while-revalidate=" + BRANCH_MAX_AGE;
    static final String MANIFEST = "public, no-cache";

    static final String X_REPO_COMMIT = "X-Repo-Commit";
    static final String X_LINKED_ETAG = "X-Linked-Etag";
    static final String X_LINKED_SIZE = "X-Linked-Size";
    static final String X_ERROR_CODE = "X-Error-Code";
    static final String X_ERROR_MESSAGE = "X-Error-Message";

    private final RevisionCache revisions;
    private final ObjectMapper json;

    ArtifactResponder(RevisionCache revisions, ObjectMapper json) {
        this.revisions = revisions;
        this.json = json;
    }

    Reply respond(HttpMethod method, String target, HttpHeaders headers, ByteBufAllocator alloc) {
        return respond(method, target, headers, new byte[0], alloc);
    }

    /** {@code body}: the request's body, read only for POST paths-info. */
    Reply respond(HttpMethod method, String target, HttpHeaders headers, byte[] body, ByteBufAllocator alloc) {
        try {
            boolean post = method.equals(HttpMethod.POST);
            ArtifactRequest request = post || method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)
                    ? ArtifactRequest.parse(target) : null;
            if (request == null || post != (request.kind() == ArtifactRequest.Kind.PATHS_INFO)) {
                boolean pathsInfo = request != null && request.kind() == ArtifactRequest.Kind.PATHS_INFO;
                FullHttpResponse r = error(alloc, method, new ServeException(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "method " + method + " (expected: " + (pathsInfo ? "POST" : "GET or HEAD") + ")"));
                r.headers().set(HttpHeaderNames.ALLOW, pathsInfo ? "POST" : "GET, HEAD");
                return new Reply.Full(r);
            }
            Revision revision = revision(request);
            String cacheControl = ArtifactStore.isRevisionId(request.revision()) ? IMMUTABLE : BRANCH;
            return switch (request.kind()) {
                case MODEL_INFO -> modelInfo(alloc, method, headers, revision, cacheControl);
                case TREE, TREE_RECURSIVE -> tree(alloc, method, headers, revision, request, cacheControl);
                case PATHS_INFO -> pathsInfo(alloc, headers, revision, body);
                case COMMITS -> commits(alloc, method, headers, revision);
                case MANIFEST -> manifest(alloc, method, headers, revision);
                case FILE -> file(alloc, method, headers, revision, request.path(), cacheControl);
                case BYTES -> bytes(alloc, method, revision, request);
                case BLOCKS -> blocks(alloc, method, revision, request);
            };
        } catch (ServeException e) {
            return new Reply.Full(error(alloc, method, e));
        } catch (IOException | RuntimeException e) {
            return new Reply.Full(error(alloc, method, new ServeException(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "InternalError", "artifact store: " + e.getMessage())));
        }
    }

    private Revision revision(ArtifactRequest request) throws ServeException, IOException {
        ArtifactStore store = revisions.store();
        if (!store.hasRepo(request.repo())) {
            throw new ServeException(HttpResponseStatus.NOT_FOUND, "RepoNotFound",
                    "repository '" + request.repo() + "' not found");
        }
        try {
            return revisions.get(request.repo(), store.revisionId(request.repo(), request.revision()));
        } catch (NoSuchFileException | IllegalArgumentException e) {
            throw new ServeException(HttpResponseStatus.NOT_FOUND, "RevisionNotFound",
                    "repository '" + request.repo() + "' has no revision '" + request.revision() + "'");
        }
    }

    private Reply modelInfo(ByteBufAllocator alloc, HttpMethod method, HttpHeaders headers, Revision revision,
                            String cacheControl) throws IOException {
        Instant modified = Files.getLastModifiedTime(revision.directory()).toInstant();
        ObjectNode body = HubJson.modelInfo(json, revision, modified);
        return jsonReply(alloc, method, headers, json.writeValueAsBytes(body), revision.id(), cacheControl);
    }

    private Reply tree(ByteBufAllocator alloc, HttpMethod method, HttpHeaders headers, Revision revision,
                       ArtifactRequest request, String cacheControl) throws IOException, ServeException {
        var list = HubJson.tree(json, revision, request.path(), request.kind() == ArtifactRequest.Kind.TREE_RECURSIVE);
        if (list == null) {
            throw new ServeException(HttpResponseStatus.NOT_FOUND, "EntryNotFound",
                    "no directory '" + request.path() + "' in " + request.repo() + "@" + revision.id());
        }
        return jsonReply(alloc, method, headers, json.writeValueAsBytes(list), revision.id(), cacheControl);
    }

    /**
     * The revisions of the repository the store holds whose manifest version is at most
     * {@code revision}'s, newest first: the history hub clients list ({@code list_repo_commits},
     * {@code listCommits}). Short-lived in caches whatever names the revision, since a new
     * publish, a re-signed revision or retention changes it. One page, no {@code Link}: a mirror
     * keeps few revisions.
     */
    private Reply commits(ByteBufAllocator alloc, HttpMethod method, HttpHeaders headers, Revision revision) throws IOException {
        ArtifactStore store = revisions.store();
        List<Revision> history = new ArrayList<>();
        for (String id : store.revisions(revision.repo())) {
            try {
                Revision r = revisions.get(revision.repo(), id);
                if (r.manifest().version() <= revision.manifest().version()) {
                    history.add(r);
                }
            } catch (NoSuchFileException pruned) {
                // Deleted since the listing: not part of the history any more.
            }
        }
        history.sort(Comparator.comparingLong((Revision r) -> r.manifest().version()).reversed());
        return jsonReply(alloc, method, headers, json.writeValueAsBytes(HubJson.commits(json, history)), revision.id(), BRANCH);
    }

    /**
     * The entries of the paths the body names: JSON {@code {"paths": […], "expand": bool}} as
     * huggingface.js sends it, or a form ({@code paths=a&paths=b&expand=True}) as huggingface_hub does.
     */
    private Reply pathsInfo(ByteBufAllocator alloc, HttpHeaders headers, Revision revision, byte[] body)
            throws IOException, ServeException {
        List<String> paths = new ArrayList<>();
        boolean expand = false;
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE, "");
        if (type.startsWith("application/x-www-form-urlencoded")) {
            for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
                int eq = pair.indexOf('=');
                String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (name.equals("paths")) {
                    paths.add(value);
                } else if (name.equals("expand")) {
                    expand = value.equalsIgnoreCase("true") || value.equals("1");
                }
            }
        } else {
            JsonNode request;
            try {
                request = json.readTree(body);
            } catch (IOException e) {
                throw ServeException.badRequest("paths-info body: not JSON (" + e.getMessage() + ")");
            }
            if (request == null || !request.path("paths").isArray()) {
                throw ServeException.badRequest("paths-info body: expected {\"paths\": [\"…\"], \"expand\": …}");
            }
            request.get("paths").forEach(p -> paths.add(p.asText()));
            expand = request.path("expand").asBoolean(false);
        }
        Instant modified = Files.getLastModifiedTime(revision.directory()).toInstant();
        byte[] list = json.writeValueAsBytes(HubJson.pathsInfo(json, revision, paths, expand, modified));
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                alloc.buffer(list.length).writeBytes(list));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, list.length)
                .set(X_REPO_COMMIT, revision.id());
        return new Reply.Full(r);
    }

    private Reply manifest(ByteBufAllocator alloc, HttpMethod method, HttpHeaders headers, Revision revision)
            throws IOException {
        byte[] signed = Files.readAllBytes(revision.directory().resolve(Manifest.FILE_NAME));
        if (!acceptsGzip(headers.get(HttpHeaderNames.ACCEPT_ENCODING))) {
            Reply reply = jsonReply(alloc, method, headers, signed, revision.id(), MANIFEST);
            varyOnEncoding(reply);
            return reply;
        }
        // Chunk hashes are hex, so a manifest gzips to about half: a large part of a small delta's bytes.
        String etag = quote(sha256(signed) + "-gzip");
        if (EntityTags.noneMatch(headers.get(HttpHeaderNames.IF_NONE_MATCH), etag)) {
            Reply reply = new Reply.Full(notModified(etag, revision.id(), MANIFEST));
            varyOnEncoding(reply);
            return reply;
        }
        ByteArrayOutputStream gz = new ByteArrayOutputStream(signed.length / 2);
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(signed);
        }
        byte[] body = gz.toByteArray();
        boolean head = method.equals(HttpMethod.HEAD);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : alloc.buffer(body.length).writeBytes(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP)
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.CACHE_CONTROL, MANIFEST)
                .set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING)
                .set(X_REPO_COMMIT, revision.id());
        return new Reply.Full(r);
    }

    private static void varyOnEncoding(Reply reply) {
        ((Reply.Full) reply).response().headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
    }

    /** RFC 9110 §12.5.3: gzip listed without {@code q=0}. */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String coding : acceptEncoding.split(",")) {
            String[] parts = coding.strip().split(";");
            if (parts[0].strip().equalsIgnoreCase("gzip")) {
                for (int i = 1; i < parts.length; i++) {
                    String p = parts[i].strip().replace(" ", "");
                    if (p.matches("q=0(\\.0{0,3})?")) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }

    private Reply jsonReply(ByteBufAllocator alloc, HttpMethod method, HttpHeaders headers, byte[] body,
                            String revisionId, String cacheControl) {
        String etag = quote(sha256(body));
        if (EntityTags.noneMatch(headers.get(HttpHeaderNames.IF_NONE_MATCH), etag)) {
            return new Reply.Full(notModified(etag, revisionId, cacheControl));
        }
        boolean head = method.equals(HttpMethod.HEAD);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : alloc.buffer(body.length).writeBytes(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
                .set(X_REPO_COMMIT, revisionId);
        return new Reply.Full(r);
    }

    private Reply file(ByteBufAllocator alloc, HttpMethod method, HttpHeaders headers, Revision revision, String path,
                       String cacheControl) throws ServeException, IOException {
        Manifest.Entry entry = revision.manifest().entry(path);
        if (entry == null) {
            throw new ServeException(HttpResponseStatus.NOT_FOUND, "EntryNotFound",
                    "'" + path + "' is not a file of " + revision.repo() + " at " + revision.id());
        }
        String etag = quote(entry.sha256());
        if (EntityTags.noneMatch(headers.get(HttpHeaderNames.IF_NONE_MATCH), etag)) {
            FullHttpResponse r = notModified(etag, revision.id(), cacheControl);
            r.headers().set(X_LINKED_ETAG, etag).set(X_LINKED_SIZE, entry.size());
            return new Reply.Full(r);
        }
        long size = entry.size();
        ByteRange range = ByteRange.parse(headers.get(HttpHeaderNames.RANGE), size);
        String ifRange = headers.get(HttpHeaderNames.IF_RANGE);
        if (ifRange != null && !ifRange.strip().equals(etag)) {
            range = ByteRange.IGNORED; // §13.1.5: only a strong match of the current tag lets the range apply
        }
        HttpResponseStatus status = HttpResponseStatus.OK;
        long offset = 0;
        long length = size;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        if (range == ByteRange.UNSATISFIABLE) {
            FullHttpResponse r = error(alloc, method, new ServeException(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    "RangeNotSatisfiable", "range " + headers.get(HttpHeaderNames.RANGE) + " of a " + size + "-byte file"));
            r.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
            fileHeaders(r.headers(), entry, revision.id(), etag, cacheControl);
            return new Reply.Full(r);
        }
        if (range != ByteRange.IGNORED) {
            status = HttpResponseStatus.PARTIAL_CONTENT;
            offset = range.first();
            length = range.length();
            head.setStatus(status);
            head.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + range.first() + "-" + range.last() + "/" + size);
        }
        fileHeaders(head.headers(), entry, revision.id(), etag, cacheControl);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                .set(HttpHeaderNames.CONTENT_LENGTH, length);
        if (method.equals(HttpMethod.HEAD)) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
            r.headers().set(head.headers());
            return new Reply.Full(r);
        }
        Path file = revision.directory().resolve(entry.path());
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        if (channel.size() != size) {
            channel.close();
            throw new IOException(file + ": " + channel.size() + " bytes on disk (manifest says " + size + ")");
        }
        return new Reply.File(head, channel, offset, length);
    }

    /** Most bytes one block-digest request may cover, all its spans together (its answer is 1/170 of that). */
    static final long MAX_BLOCK_SPAN = 64L << 20;

    /** Most bytes one multi-span request may ask for: they are read into memory on a service thread. */
    static final long MAX_MULTI_SPAN_BYTES = 8L << 20;

    /**
     * The block digests of one or more byte spans, each span's blocks counted from its first byte
     * (revision id only, immutable like the bytes they describe).
     */
    private Reply blocks(ByteBufAllocator alloc, HttpMethod method, Revision revision, ArtifactRequest request)
            throws ServeException, IOException {
        Manifest.Entry entry = spanEntry(revision, request);
        long length = totalLength(request);
        if (length > MAX_BLOCK_SPAN) {
            throw ServeException.badRequest("block digests of " + length + " bytes (expected: at most " + MAX_BLOCK_SPAN + ")");
        }
        int count = 0;
        for (ByteSpan span : request.spans()) {
            count += BlockDigests.blocks(span.length());
        }
        byte[] digests = new byte[count * BlockDigests.DIGEST_BYTES];
        byte[] buffer = new byte[1 << 20]; // a multiple of the block size, so blocks never straddle reads
        try (FileChannel channel = FileChannel.open(revision.directory().resolve(entry.path()), StandardOpenOption.READ)) {
            int at = 0;
            for (ByteSpan span : request.spans()) {
                for (long done = 0; done < span.length(); ) {
                    int want = (int) Math.min(buffer.length, span.length() - done);
                    readFully(channel, span.first() + done, ByteBuffer.wrap(buffer, 0, want), entry);
                    BlockDigests.digest(buffer, 0, want, digests, at);
                    at += BlockDigests.blocks(want) * BlockDigests.DIGEST_BYTES;
                    done += want;
                }
            }
        }
        boolean head = method.equals(HttpMethod.HEAD);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : alloc.buffer(digests.length).writeBytes(digests));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                .set(HttpHeaderNames.CONTENT_LENGTH, digests.length)
                .set(HttpHeaderNames.CACHE_CONTROL, IMMUTABLE); // the URL names the revision: no X-Repo-Commit
        return new Reply.Full(r);
    }

    private static void readFully(FileChannel channel, long position, ByteBuffer into, Manifest.Entry entry) throws IOException {
        int start = into.position();
        while (into.hasRemaining()) {
            if (channel.read(into, position + into.position() - start) < 0) {
                throw new IOException(entry.path() + ": shorter on disk than the manifest says");
            }
        }
    }

    private static long totalLength(ArtifactRequest request) {
        return request.spans().stream().mapToLong(ByteSpan::length).sum();
    }

    private static Manifest.Entry spanEntry(Revision revision, ArtifactRequest request) throws ServeException {
        if (!ArtifactStore.isRevisionId(request.revision())) {
            throw ServeException.badRequest("byte spans are served by revision id only (got '" + request.revision() + "')");
        }
        Manifest.Entry entry = revision.manifest().entry(request.path());
        if (entry == null) {
            throw new ServeException(HttpResponseStatus.NOT_FOUND, "EntryNotFound",
                    "'" + request.path() + "' is not a file of " + revision.repo() + " at " + revision.id());
        }
        ByteSpan last = request.spans().getLast(); // spans ascend
        if (last.last() >= entry.size()) {
            throw new ServeException(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "RangeNotSatisfiable",
                    "bytes " + last.first() + "-" + last.last() + " of a " + entry.size() + "-byte file");
        }
        return entry;
    }

    /**
     * Byte spans of a file, one after another, as a whole 200 response. Only by revision id: the
     * URL then names bytes that can never change, so every cache may keep them forever and N
     * replicas asking for the same missing spans cost the origin one transfer. One span goes out
     * from the file (sendfile); several, at most {@link #MAX_MULTI_SPAN_BYTES} together, are read
     * here, on the service's thread.
     */
    private Reply bytes(ByteBufAllocator alloc, HttpMethod method, Revision revision, ArtifactRequest request)
            throws ServeException, IOException {
        Manifest.Entry entry = spanEntry(revision, request);
        long length = totalLength(request);
        boolean several = request.spans().size() > 1;
        if (several && length > MAX_MULTI_SPAN_BYTES) {
            throw ServeException.badRequest(request.spans().size() + " byte spans of " + length
                    + " bytes together (expected: at most " + MAX_MULTI_SPAN_BYTES + ", or one span)");
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                .set(HttpHeaderNames.CONTENT_LENGTH, length)
                .set(HttpHeaderNames.ETAG, "\"" + entry.sha256() + ":" + ByteSpan.format(request.spans()) + "\"")
                .set(HttpHeaderNames.CACHE_CONTROL, IMMUTABLE); // the URL names the revision: no X-Repo-Commit
        if (method.equals(HttpMethod.HEAD)) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            r.headers().set(head.headers());
            return new Reply.Full(r);
        }
        FileChannel channel = FileChannel.open(revision.directory().resolve(entry.path()), StandardOpenOption.READ);
        if (channel.size() != entry.size()) {
            channel.close();
            throw new IOException(entry.path() + ": " + channel.size() + " bytes on disk (manifest says " + entry.size() + ")");
        }
        if (!several) {
            return new Reply.File(head, channel, request.spans().getFirst().first(), length);
        }
        byte[] body = new byte[(int) length];
        try (channel) {
            ByteBuffer into = ByteBuffer.wrap(body);
            for (ByteSpan span : request.spans()) {
                into.limit(into.position() + (int) span.length());
                readFully(channel, span.first(), into, entry);
            }
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                alloc.buffer(body.length).writeBytes(body));
        r.headers().set(head.headers());
        return new Reply.Full(r);
    }

    private static void fileHeaders(HttpHeaders h, Manifest.Entry entry, String revisionId, String etag, String cacheControl) {
        h.set(HttpHeaderNames.ETAG, etag)
                .set(X_LINKED_ETAG, etag)
                .set(X_LINKED_SIZE, entry.size())
                .set(X_REPO_COMMIT, revisionId)
                .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
                .set(HttpHeaderNames.CACHE_CONTROL, cacheControl);
    }

    private static FullHttpResponse notModified(String etag, String revisionId, String cacheControl) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
                .set(X_REPO_COMMIT, revisionId);
        return r;
    }

    /** The JSON error shape hub clients read: {@code {"error": message}} plus {@code X-Error-Code}. */
    FullHttpResponse error(ByteBufAllocator alloc, HttpMethod method, ServeException e) {
        byte[] body;
        try {
            body = json.writeValueAsBytes(HubJson.error(json, e.getMessage()));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
        boolean head = HttpMethod.HEAD.equals(method);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, e.status(),
                head ? Unpooled.EMPTY_BUFFER : alloc.buffer(body.length).writeBytes(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(X_ERROR_CODE, e.errorCode())
                .set(X_ERROR_MESSAGE, headerSafe(e.getMessage()));
        return r;
    }

    private static String headerSafe(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static String quote(String tag) {
        return "\"" + tag + "\"";
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
