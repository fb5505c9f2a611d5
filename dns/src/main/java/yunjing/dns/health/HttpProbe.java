package yunjing.dns.health;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One {@code GET /readyz} per call: healthy means status 200 within the timeout (the contract in
 * the architecture notes: 503 while draining, warming or without parents). Never throws and never
 * blocks the caller: failures of any kind complete the future with a failed {@link Result}.
 */
final class HttpProbe implements AutoCloseable {

    record Result(boolean healthy, String detail) {
    }

    private final HttpClient client;
    private final Duration timeout;

    /** @param executor where the client runs its completions: the health checker's own thread */
    HttpProbe(Executor executor, Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .executor(executor)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                // Plain HTTP/1.1: no h2c upgrade dance for a one-line status check.
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    CompletableFuture<Result> probe(URI url) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET()
                .header("User-Agent", "yunjing-dns-health").build();
        try {
            return client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .handle((response, error) -> error != null
                            ? new Result(false, describe(error))
                            : new Result(response.statusCode() == 200, "HTTP " + response.statusCode()));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new Result(false, describe(e)));
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException
                ? error.getCause() : error;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
