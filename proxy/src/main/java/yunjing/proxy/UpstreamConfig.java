package yunjing.proxy;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * How a node talks to the tiers above it, beyond its parents: the grandparent tier it fails over to,
 * and the deadlines of an upstream exchange (the connect timeout is {@link ProxyConfig#connectTimeout()}).
 *
 * @param grandparents     the parents' parents, tried when no parent can take a request (ids that are
 *                         also parents are ignored); empty for a node whose parents are the origin
 * @param firstByteTimeout from the last byte of the request written upstream to the first byte of the
 *                         response head; passing it before the response started gives a 504
 * @param idleTimeout      longest gap between two pieces of a response body (between SSE events);
 *                         time the client side holds the response back (backpressure) does not count
 * @param apiTotalTimeout  longest whole exchange, for {@code /v1/} (LLM API) requests only: model
 *                         artifacts may legitimately take longer to download
 * @param http2            multiplex requests over h2c (prior knowledge) connections to the parents,
 *                         falling back to HTTP/1.1 for a parent that does not speak it; off by default
 */
public record UpstreamConfig(List<ParentConfig> grandparents, Duration firstByteTimeout, Duration idleTimeout,
        Duration apiTotalTimeout, boolean http2) {

    public static final Duration DEFAULT_FIRST_BYTE_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_API_TOTAL_TIMEOUT = Duration.ofMinutes(10);

    /** No grandparents, default deadlines. */
    public static final UpstreamConfig DEFAULT = new UpstreamConfig(List.of(), DEFAULT_FIRST_BYTE_TIMEOUT,
            DEFAULT_IDLE_TIMEOUT, DEFAULT_API_TOTAL_TIMEOUT, false);

    public UpstreamConfig {
        grandparents = List.copyOf(Objects.requireNonNull(grandparents, "grandparents"));
        requirePositive(firstByteTimeout, "firstByteTimeout");
        requirePositive(idleTimeout, "idleTimeout");
        requirePositive(apiTotalTimeout, "apiTotalTimeout");
        var ids = new HashSet<String>();
        for (ParentConfig grandparent : grandparents) {
            if (!ids.add(grandparent.id())) {
                throw new IllegalArgumentException("grandparents: duplicate id " + grandparent.id());
            }
        }
    }

    /** This configuration with other grandparents. */
    public UpstreamConfig withGrandparents(List<ParentConfig> list) {
        return new UpstreamConfig(list, firstByteTimeout, idleTimeout, apiTotalTimeout, http2);
    }

    /** This configuration with other deadlines. */
    public UpstreamConfig withDeadlines(Duration firstByte, Duration idle, Duration apiTotal) {
        return new UpstreamConfig(grandparents, firstByte, idle, apiTotal, http2);
    }

    /** This configuration with HTTP/2 to the parents on or off. */
    public UpstreamConfig withHttp2(boolean on) {
        return new UpstreamConfig(grandparents, firstByteTimeout, idleTimeout, apiTotalTimeout, on);
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }
}
