package yunjing.sync.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * Fetches the signed manifest a ref names from a parent tier or the origin, at
 * {@code {base}/api/sync/{org}/{repo}/manifest/{ref}}, optionally conditionally: with the
 * {@code ETag} of the manifest last synced as {@code If-None-Match}, an unchanged manifest costs a
 * {@code 304} through every cache on the way. The bytes are not trusted here:
 * {@link DeltaAgent#sync} verifies them. Stateless and thread-safe: the caller keeps the tag
 * (and keeps it only once a sync succeeded, so a failed one is retried at the next poll).
 */
public final class HttpManifestSource {

    /** A manifest and the tag to poll it with next time (null when the server sent none). */
    public record Fetched(byte[] manifest, String etag) {
    }

    private final HttpClient client;
    private final URI base;
    private final Duration timeout;

    /** {@code base} is the parent's root URL, e.g. {@code http://models.mirror.test:8080/}. */
    public HttpManifestSource(HttpClient client, URI base, Duration timeout) {
        String b = base.toString();
        this.client = client;
        this.base = URI.create(b.endsWith("/") ? b : b + "/");
        this.timeout = timeout;
    }

    /** The manifest {@code ref} names now. */
    public byte[] fetch(String repo, String ref) throws IOException {
        return fetchIfChanged(repo, ref, null).orElseThrow().manifest();
    }

    /** The manifest {@code ref} names, or empty when its tag is still {@code etag} (null: always fetch). */
    public Optional<Fetched> fetchIfChanged(String repo, String ref, String etag) throws IOException {
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
        return Optional.of(new Fetched(response.body(), response.headers().firstValue("ETag").orElse(null)));
    }
}
