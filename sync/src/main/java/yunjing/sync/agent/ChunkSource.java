package yunjing.sync.agent;

import yunjing.sync.chunk.ByteSpan;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Where an agent gets the bytes it cannot find locally: a parent tier, the origin, or a test.
 * The agent calls it from up to {@link DeltaAgent.Builder#concurrency} fetch workers at once, so
 * implementations must be thread-safe (or the agent built with concurrency 1); they need not verify content
 * (the agent checks every chunk against the signed manifest).
 */
public interface ChunkSource {

    /**
     * Opens the bytes {@code [first, last]} (inclusive, as in an HTTP {@code Range}) of
     * {@code path} in {@code revision} of {@code repo}. The stream may end early or fail midway;
     * the agent treats that as a truncated response and asks again for the remainder.
     */
    InputStream openRange(String repo, String revision, String path, long first, long last) throws IOException;

    /**
     * The {@link yunjing.sync.chunk.BlockDigests} of bytes {@code [first, last]}, or null when this
     * source cannot serve them (the agent then fetches whole chunks). Same failure rules as
     * {@link #openRange}.
     */
    default InputStream openBlockDigests(String repo, String revision, String path, long first, long last) throws IOException {
        return null;
    }

    /**
     * The bytes of every span of {@code spans} (ascending, disjoint, at most
     * {@link ByteSpan#MAX_PER_REQUEST}), one after another. Same failure rules as
     * {@link #openRange}; a source that can ask for several spans at once does it with one request.
     */
    default InputStream openSpans(String repo, String revision, String path, List<ByteSpan> spans) throws IOException {
        return new ConcatenatedSpans(spans, s -> openRange(repo, revision, path, s.first(), s.last()));
    }

    /**
     * The block digests of every span of {@code spans} (each span's blocks counted from its first
     * byte), one after another, or null when this source cannot serve them.
     */
    default InputStream openBlockDigests(String repo, String revision, String path, List<ByteSpan> spans) throws IOException {
        ByteSpan first = spans.getFirst();
        InputStream head = openBlockDigests(repo, revision, path, first.first(), first.last());
        if (head == null) {
            return null;
        }
        return new ConcatenatedSpans(spans, head, s -> {
            InputStream in = openBlockDigests(repo, revision, path, s.first(), s.last());
            if (in == null) {
                throw new IOException(name() + ": stopped serving block digests");
            }
            return in;
        });
    }

    /** A short name for logs and errors. */
    default String name() {
        return getClass().getSimpleName();
    }
}
