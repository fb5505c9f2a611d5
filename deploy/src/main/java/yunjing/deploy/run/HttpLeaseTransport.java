package yunjing.deploy.run;

import yunjing.proxy.llm.LeaseMessages;
import yunjing.proxy.llm.LeaseTransport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * An edge's lease requests to the owner of each key's budget: {@code POST /lease} on the owner's admin
 * port with the admin token, asynchronous (the caller is an event loop). Anything but a 200 with a valid
 * grant within {@link #TIMEOUT} fails the future, and the edge counts the key alone for a while.
 */
final class HttpLeaseTransport implements LeaseTransport, AutoCloseable {

    /** Connect and answer bound of one lease request: an owner slower than this is treated as down. */
    static final Duration TIMEOUT = Duration.ofSeconds(1);

    private final BudgetOwners<URI> owners;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT).build();

    /** @param owners each central node's {@code http://host:adminPort/lease} */
    HttpLeaseTransport(BudgetOwners<URI> owners, String token) {
        this.owners = owners;
        this.token = token;
    }

    @Override
    public CompletableFuture<LeaseMessages.Grant> ask(LeaseMessages.Ask ask) {
        URI owner = owners.ownerOf(ask.keyId());
        HttpRequest request = HttpRequest.newBuilder(owner).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ask.toJson(), StandardCharsets.UTF_8)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException(new IOException(owner + ": HTTP " + response.statusCode()
                                + " " + abbreviate(response.body())));
                    }
                    return LeaseMessages.Grant.parse(response.body());
                });
    }

    private static String abbreviate(String body) {
        String s = body == null ? "" : body.strip();
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    @Override
    public void close() {
        http.shutdownNow();   // a lease request in flight fails; the edge is stopping anyway
    }
}
