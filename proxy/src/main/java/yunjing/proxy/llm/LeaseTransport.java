package yunjing.proxy.llm;

import java.util.concurrent.CompletableFuture;

/**
 * Carries an edge's {@link LeaseMessages.Ask} to the key's budget owner (deploy posts it to the owner's
 * admin port with the admin token). Must not block the caller, which is an event loop; a future completed
 * exceptionally means the owner could not be asked or answered badly, and the edge falls back.
 */
@FunctionalInterface
public interface LeaseTransport {

    CompletableFuture<LeaseMessages.Grant> ask(LeaseMessages.Ask ask);
}
