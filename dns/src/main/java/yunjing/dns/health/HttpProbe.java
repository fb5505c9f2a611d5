package yunjing.dns.health;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * One {@code GET /readyz} per call: healthy means status 200 within the timeout (the contract in
 * the architecture notes: 503 while draining, warming or without parents). A node that says
 * {@code "draining":true} in its body is draining by its own operator's decision, which takes it
 * out of answers at once rather than after several failed probes. Never throws and never blocks
 * the caller: failures of any kind complete the future with a failed {@link Result}.
 */
final class HttpProbe implements AutoCloseable {

    /** Readiness bodies are a line of JSON; anything longer is not read past this. */
    private static final int MAX_BODY = 4096;
    private static final Pattern DRAINING = Pattern.compile("\"draining\"\\s*:\\s*true");

    record Result(boolean healthy, String detail, boolean draining) {
        Result(boolean healthy, String detail) {
            this(healthy, detail, false);
        }
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
            return client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                    .handle((response, error) -> error != null
                            ? new Result(false, describe(error))
                            : new Result(response.statusCode() == 200, "HTTP " + response.statusCode(),
                                    DRAINING.matcher(head(response.body())).find()));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new Result(false, describe(e)));
        }
    }

    private static String head(InputStream body) {
        try (body) {
            return new String(body.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
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
