package yunjing.deploy.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * One emulated client's connection behaviour: {@code keep-alive} reuses one client (and its pooled
 * connection) for every request, as an SDK does; {@code naive} opens a new client, so a new TCP (and TLS)
 * connection, for every request, as a one-off script does.
 */
final class ClientSession implements AutoCloseable {
    private final Route route;
    private final boolean keepAlive;
    private HttpClient shared;

    ClientSession(Route route, boolean keepAlive) {
        this.route = route;
        this.keepAlive = keepAlive;
    }

    String kind() {
        return keepAlive ? "keep-alive" : "naive";
    }

    Route route() {
        return route;
    }

    /** Sends {@code request}; {@code reader} consumes the body and says whether it was complete and valid. */
    Sample exchange(String workload, HttpRequest request, BodyReader reader) {
        long start = System.nanoTime();
        long ttfb = -1;
        HttpClient client = keepAlive ? shared() : route.newClient();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            ttfb = System.nanoTime() - start;
            try (InputStream body = response.body()) {
                BodyReader.Result r = reader.read(response, body, start);
                long total = System.nanoTime() - start;
                return new Sample(route.path(), workload, kind(), r.error() == null, ttfb, r.ttftNanos(), total,
                        r.bytes(), r.error(), start);
            }
        } catch (IOException e) {
            return new Sample(route.path(), workload, kind(), false, ttfb, -1, System.nanoTime() - start, 0,
                    e.getClass().getSimpleName() + ": " + e.getMessage(), start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sample(route.path(), workload, kind(), false, ttfb, -1, System.nanoTime() - start, 0, "interrupted",
                    start);
        } finally {
            if (!keepAlive) {
                client.close();
            }
        }
    }

    private HttpClient shared() {
        if (shared == null) {
            shared = route.newClient();
        }
        return shared;
    }

    @Override
    public void close() {
        if (shared != null) {
            shared.close();
        }
    }

    /** Reads a response body to its end and judges it. */
    interface BodyReader {
        record Result(long bytes, long ttftNanos, String error) {
        }

        Result read(HttpResponse<InputStream> response, InputStream body, long startNanos) throws IOException;
    }
}
