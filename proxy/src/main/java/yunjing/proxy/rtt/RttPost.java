package yunjing.proxy.rtt;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Delivers RTT report bodies to the DNS admin port's {@code POST /rtt} with the admin token, for
 * {@link RttReporter} and {@link RttProber}. A DNS that is unreachable or refuses a report costs one
 * log line per failure streak. Used from its owner's single timer thread only.
 */
final class RttPost implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RttPost.class.getName());

    private final String who;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private boolean failing;

    /** @param who names the sender in log lines, e.g. {@code sh-telecom} or {@code sh-telecom probes} */
    RttPost(String who, String token) {
        this.who = Objects.requireNonNull(who, "who");
        this.token = Objects.requireNonNull(token, "token");
    }

    /** Posts every body in turn; a failure is logged (once per streak) and ends this delivery. */
    void deliver(URI target, List<String> bodies) throws InterruptedException {
        try {
            for (String body : bodies) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(target)
                        .timeout(Duration.ofSeconds(5))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode() + ": " + response.body().strip());
                }
            }
            if (failing) {
                LOG.log(System.Logger.Level.INFO, who + ": RTT reports reach " + target + " again");
            }
            failing = false;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                LOG.log(System.Logger.Level.WARNING, who + ": RTT report not delivered (retrying every round): " + e);
            }
            failing = true;
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
