package yunjing.sync.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Fetches the signed manifest a ref names from a parent tier or the origin, at
 * {@code {base}/api/sync/{org}/{repo}/manifest/{ref}}, and polls it conditionally: the last
 * {@code ETag} seen per repo and ref goes out as {@code If-None-Match}, so an unchanged manifest
 * costs a {@code 304} through every cache on the way. The bytes are not trusted here:
 * {@link DeltaAgent#sync} verifies them.
 *
 * <p>Thread-safe.
 */
public final class HttpManifestSource {

    private final HttpClient client;
    private final URI base;
    private final Duration timeout;
    private final Map<String, String> etags = new HashMap<>();

    /** {@code base} is the parent's root URL, e.g. {@code http://models.mirror.test:8080/}. */
    public HttpManifestSource(HttpClient client, URI base, Duration timeout) {
        String b = base.toString();
        this.client = client;
        this.base = URI.create(b.endsWith("/") ? b : b + "/");
        this.timeout = timeout;
    }

    /** The manifest {@code ref} names now, whatever was seen before. */
    public byte[] fetch(String repo, String ref) throws IOException {
        return get(repo, ref, null).orElseThrow();
    }

    /** The manifest {@code ref} names, or empty when it has not changed since the last call for this repo and ref. */
    public Optional<byte[]> poll(String repo, String ref) throws IOException {
        String key = repo + "@" + ref;
        String etag;
        synchronized (etags) {
            etag = etags.get(key);
        }
        return get(repo, ref, etag);
    }

    private Optional<byte[]> get(String repo, String ref, String etag) throws IOException {
        URI uri = base.resolve("api/sync/" + HttpChunkSource.encodePath(repo) + "/manifest/" + HttpChunkSource.encodePath(ref));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
        if (etag != null) {
            request.header("If-None-Match", etag);
        }
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted fetching " + uri, e);
        }
        if (response.statusCode() == 304 && etag != null) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new IOException(uri + ": status " + response.statusCode() + " (expected: 200 with a signed manifest)");
        }
        response.headers().firstValue("ETag").ifPresent(tag -> {
            synchronized (etags) {
                etags.put(repo + "@" + ref, tag);
            }
        });
        return Optional.of(response.body());
    }
}
