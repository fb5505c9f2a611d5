package yunjing.sync.agent;

import yunjing.sync.chunk.ByteSpan;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** A {@link ChunkSource} whose bodies are read under a shared {@link RateLimiter}. Thread-safe if {@code source} is. */
final class ThrottledChunkSource implements ChunkSource {

    private final ChunkSource source;
    private final RateLimiter limiter;

    ThrottledChunkSource(ChunkSource source, RateLimiter limiter) {
        this.source = source;
        this.limiter = limiter;
    }

    @Override
    public InputStream openRange(String repo, String revision, String path, long first, long last) throws IOException {
        return limiter.throttle(source.openRange(repo, revision, path, first, last));
    }

    @Override
    public InputStream openBlockDigests(String repo, String revision, String path, long first, long last) throws IOException {
        InputStream in = source.openBlockDigests(repo, revision, path, first, last);
        return in == null ? null : limiter.throttle(in);
    }

    @Override
    public InputStream openSpans(String repo, String revision, String path, List<ByteSpan> spans) throws IOException {
        return limiter.throttle(source.openSpans(repo, revision, path, spans));
    }

    @Override
    public InputStream openBlockDigests(String repo, String revision, String path, List<ByteSpan> spans) throws IOException {
        InputStream in = source.openBlockDigests(repo, revision, path, spans);
        return in == null ? null : limiter.throttle(in);
    }

    @Override
    public String name() {
        return source.name();
    }
}
