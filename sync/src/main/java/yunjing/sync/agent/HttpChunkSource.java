package yunjing.sync.agent;

import yunjing.sync.chunk.BlockDigests;
import yunjing.sync.chunk.ByteSpan;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches byte ranges over HTTP from a parent tier or the origin, at the Hugging Face-style path
 * {@code {base}/{org}/{repo}/resolve/{revision}/{path}}. Revisions are content-addressed, so the
 * tier caches in between may keep these responses forever and N agents behind one cache cost
 * the origin one transfer.
 *
 * <p>Only {@code 206 Partial Content} whose {@code Content-Range} names exactly the requested
 * range is accepted (RFC 9110 section 14.4 and 15.3.7): a {@code 200} would be the whole file,
 * which the agent did not ask for. {@code timeout} bounds the wait for the headers and, through
 * {@link StallGuardInputStream}, each wait for body bytes.
 */
public final class HttpChunkSource implements ChunkSource {

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final HttpClient client;
    private final URI base;
    private final Duration timeout;
    private final boolean spansInPath;

    /** {@code base} is the parent's root URL, e.g. {@code http://models.mirror.test:8080/}. */
    public HttpChunkSource(HttpClient client, URI base, Duration timeout) {
        this(client, base, timeout, false);
    }

    private HttpChunkSource(HttpClient client, URI base, Duration timeout, boolean spansInPath) {
        String b = base.toString();
        this.client = client;
        this.base = URI.create(b.endsWith("/") ? b : b + "/");
        this.timeout = timeout;
        this.spansInPath = spansInPath;
    }

    /**
     * A source that names each range in the path, {@code {base}/api/sync/{org}/{repo}/bytes/{revision}/{a}-{b}/{path}},
     * answered with a whole {@code 200}: tier caches store such a response as an object of its
     * own (they relay a {@code Range} on a large file uncached), so agents behind one cache that
     * miss the same chunks cost the origin one transfer. Needs a yunjing artifact server upstream.
     */
    public static HttpChunkSource cacheable(HttpClient client, URI base, Duration timeout) {
        return new HttpChunkSource(client, base, timeout, true);
    }

    @Override
    public InputStream openRange(String repo, String revision, String path, long first, long last) throws IOException {
        if (spansInPath) {
            return openSpan(repo, revision, path, first, last);
        }
        URI uri = base.resolve(encodePath(repo) + "/resolve/" + revision + "/" + encodePath(path));
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Range", "bytes=" + first + "-" + last)
                .GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted fetching " + uri, e);
        }
        InputStream body = response.body();
        String range = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range);
        if (response.statusCode() != 206 || !m.matches()
                || Long.parseLong(m.group(1)) != first || Long.parseLong(m.group(2)) != last) {
            body.close();
            throw new IOException(uri + ": status " + response.statusCode() + ", Content-Range '" + range
                    + "' (expected: 206 with bytes " + first + "-" + last + "/...)");
        }
        return drainOnClose(new StallGuardInputStream(body, timeout));
    }

    /** Served only by a yunjing artifact server, so only in {@link #cacheable} mode; null otherwise. */
    @Override
    public InputStream openBlockDigests(String repo, String revision, String path, long first, long last) throws IOException {
        if (!spansInPath) {
            return null;
        }
        return openBlockDigests(repo, revision, path, List.of(new ByteSpan(first, last)));
    }

    /** In {@link #cacheable} mode, one request for all the spans (a list in the URL); otherwise one per span. */
    @Override
    public InputStream openSpans(String repo, String revision, String path, List<ByteSpan> spans) throws IOException {
        if (!spansInPath) {
            return ChunkSource.super.openSpans(repo, revision, path, spans);
        }
        return openSpan("bytes", repo, revision, path, spans, spans.stream().mapToLong(ByteSpan::length).sum());
    }

    @Override
    public InputStream openBlockDigests(String repo, String revision, String path, List<ByteSpan> spans) throws IOException {
        if (!spansInPath) {
            return null;
        }
        long expected = spans.stream().mapToLong(s -> (long) BlockDigests.blocks(s.length()) * BlockDigests.DIGEST_BYTES).sum();
        return openSpan("blocks", repo, revision, path, spans, expected);
    }

    private InputStream openSpan(String repo, String revision, String path, long first, long last) throws IOException {
        return openSpan("bytes", repo, revision, path, List.of(new ByteSpan(first, last)), last - first + 1);
    }

    private InputStream openSpan(String kind, String repo, String revision, String path, List<ByteSpan> spans, long expected)
            throws IOException {
        URI uri = base.resolve("api/sync/" + encodePath(repo) + "/" + kind + "/" + revision + "/" + ByteSpan.format(spans) + "/"
                + encodePath(path));
        HttpResponse<InputStream> response = send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build());
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (response.statusCode() != 200 || length != expected) {
            response.body().close();
            throw new IOException(uri + ": status " + response.statusCode() + ", Content-Length " + length
                    + " (expected: 200 with " + expected + " bytes)");
        }
        return drainOnClose(new StallGuardInputStream(response.body(), timeout));
    }

    private HttpResponse<InputStream> send(HttpRequest request) throws IOException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted fetching " + request.uri(), e);
        }
    }

    /** Most bytes read to the end of a body on close; more means the caller gave up on it: close the connection. */
    private static final int DRAIN_LIMIT = 64 * 1024;

    /**
     * The agent reads exactly the bytes it asked for and closes, before the stream has reported
     * its end; the JDK client then closes the connection instead of reusing it, and every
     * request pays a new TCP handshake. Reading to the end first (a read that returns -1 at once
     * for a complete body) keeps the connection alive.
     */
    private static InputStream drainOnClose(InputStream body) {
        return new FilterInputStream(body) {
            @Override
            public void close() throws IOException {
                try {
                    byte[] skip = new byte[8192];
                    for (int left = DRAIN_LIMIT, n; left > 0 && (n = in.read(skip)) >= 0; left -= n) {
                        // discard
                    }
                } catch (IOException brokenAnyway) {
                    // The connection is not reusable; closing is all that is left.
                } finally {
                    super.close();
                }
            }
        };
    }

    @Override
    public String name() {
        return base.toString();
    }

    /** Percent-encodes each segment (RFC 3986 section 3.3), keeping the slashes between them. */
    static String encodePath(String path) {
        StringBuilder out = new StringBuilder(path.length());
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
