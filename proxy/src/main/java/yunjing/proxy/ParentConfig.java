package yunjing.proxy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;

/**
 * One parent of a node: the next tier towards the origin.
 *
 * @param id        the parent's node id, e.g. {@code "bj-central"}; unique among a node's parents
 * @param http      the parent's HTTP port (HTTP/1.1 and h2c); requests are forwarded here
 * @param readyzUrl the parent's admin {@code GET /readyz}, probed by the active health check
 */
public record ParentConfig(String id, InetSocketAddress http, URI readyzUrl) {

    public ParentConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(readyzUrl, "readyzUrl");
        if (id.isBlank()) {
            throw new IllegalArgumentException("id: blank (expected: a node id)");
        }
        if (!"http".equals(readyzUrl.getScheme()) && !"https".equals(readyzUrl.getScheme())) {
            throw new IllegalArgumentException("readyzUrl: " + readyzUrl + " (expected: an http or https URL)");
        }
    }
}
