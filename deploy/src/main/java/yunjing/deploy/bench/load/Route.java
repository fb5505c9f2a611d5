package yunjing.deploy.bench.load;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;

/**
 * How one client reaches the API: a base URI (direct to the origin, or the edge its DNS answer named)
 * and the TLS trust for it.
 *
 * @param path  {@code direct} or {@code mirror}
 * @param base  e.g. {@code https://127.0.0.42:40123}
 * @param tls   trust for HTTPS, or null for plain HTTP
 */
public record Route(String path, URI base, SSLContext tls) {

    public URI uri(String pathAndQuery) {
        return base.resolve(pathAndQuery);
    }

    /** A new client: HTTP/1.1, as most scripts and SDKs speak to an API. Each holds its own connection pool. */
    HttpClient newClient() {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            b.sslContext(tls);
        }
        return b.build();
    }
}
