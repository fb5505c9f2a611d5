package yunjing.sync.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * Fetches the signed manifest a ref names from a parent tier or the origin, at
 * {@code {base}/api/sync/{org}/{repo}/manifest/{ref}} (gzip-encoded when the server offers it),
 * optionally conditionally: with the
 * {@code ETag} of the manifest last synced as {@code If-None-Match}, an unchanged manifest costs a
 * {@code 304} through every cache on the way. The bytes are not trusted here:
 * {@link DeltaAgent#sync} verifies them. Stateless and thread-safe: the caller keeps the tag
 * (and keeps it only once a sync succeeded, so a failed one is retried at the next poll).
 */
public final class HttpManifestSource {

    /** A manifest and the tag to poll it with next time (null when the server sent none). */
    public record Fetched(byte[] manifest, String etag) {
    }

    /** A manifest lists every chunk (about 110 bytes each); 256 MiB of JSON covers ~200 TB of files. */
    static final int MAX_MANIFEST_BYTES = 256 << 20;

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
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept-Encoding", "gzip").GET();
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
        byte[] body = response.body();
        String encoding = response.headers().firstValue("Content-Encoding").orElse("identity").strip();
        if (encoding.equalsIgnoreCase("gzip")) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            }
            if (body.length > MAX_MANIFEST_BYTES) {
                throw new IOException(uri + ": manifest larger than " + MAX_MANIFEST_BYTES + " bytes once unzipped");
            }
        } else if (!encoding.equalsIgnoreCase("identity")) {
            throw new IOException(uri + ": Content-Encoding " + encoding + " (expected: gzip or none)");
        }
        return Optional.of(new Fetched(body, response.headers().firstValue("ETag").orElse(null)));
    }
}
