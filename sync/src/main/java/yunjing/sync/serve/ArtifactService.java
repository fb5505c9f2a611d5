package yunjing.sync.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpRequest;
import yunjing.sync.store.ArtifactStore;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Serves an {@link ArtifactStore} over HTTP inside a node's own Netty pipeline: signed manifests,
 * files with {@code Range}, and the Hugging Face hub paths, so that
 * {@code HF_ENDPOINT=http://models.mirror.test:8080} works with hub clients. See
 * {@code sync/README.md} ("Serving") for the endpoints and headers.
 *
 * <p>Put {@link #newHandler} into every HTTP/1.1 connection pipeline (after {@code HttpServerCodec})
 * and every HTTP/2 stream pipeline (after {@code Http2StreamFrameToHttpObjectCodec}), before any
 * aggregator. Store lookups run on this service's small thread pool, never on event loops.
 */
public final class ArtifactService implements AutoCloseable {

    private static final int THREADS = 4;
    private static final int QUEUE = 1024;

    private final ArtifactResponder responder;
    private final ThreadPoolExecutor executor;

    public ArtifactService(ArtifactStore store) {
        this.responder = new ArtifactResponder(new RevisionCache(store), new ObjectMapper());
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "artifact-store-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    /** True when the request's path is one of the artifact endpoints (it may still be malformed: 400/404). */
    public static boolean isArtifactRequest(HttpRequest request) {
        return ArtifactRequest.matches(request.uri());
    }

    /** A handler (one per connection or stream) that answers every request. */
    public ChannelHandler newHandler() {
        return newHandler(r -> true);
    }

    /** A handler (one per connection or stream) that answers the requests {@code owns} accepts and passes the rest on. */
    public ChannelHandler newHandler(Predicate<HttpRequest> owns) {
        return new ArtifactHandler(this, owns);
    }

    ArtifactResponder responder() {
        return responder;
    }

    ExecutorService executor() {
        return executor;
    }

    /** Stops the lookup threads; handlers still attached answer 503. Idempotent. */
    @Override
    public void close() {
        executor.shutdown();
    }
}
