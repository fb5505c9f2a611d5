package yunjing.deploy.run;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandler;
import yunjing.sync.serve.ArtifactService;
import yunjing.sync.serve.LocalRevisions;
import yunjing.sync.store.ArtifactStore;

/**
 * A replica node's verified store, as its proxy serves it: one handler per connection or stream in
 * front of the proxy answers the hub and span requests for the revisions the store holds
 * ({@link LocalRevisions}) and passes the rest on. Counted as {@code yunjing.sync.local.requests}.
 * The node's agent writes the same store.
 */
final class ReplicaServing implements AutoCloseable {

    private final ArtifactStore store;
    private final ArtifactService service;
    private final LocalRevisions held;

    ReplicaServing(ArtifactStore store, MeterRegistry registry) {
        this.store = store;
        this.service = new ArtifactService(store);
        this.held = new LocalRevisions(store);
        FunctionCounter.builder("yunjing.sync.local.requests", held, LocalRevisions::claimed)
                .description("Artifact requests this replica answered from its own store")
                .register(registry);
    }

    ArtifactStore store() {
        return store;
    }

    /** A handler for one connection or stream. */
    ChannelHandler newHandler() {
        return service.newHandler(held);
    }

    /** Stops the store lookups; handlers still attached answer 503. */
    @Override
    public void close() {
        service.close();
    }
}
