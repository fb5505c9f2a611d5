package yunjing.dns;

import java.net.InetAddress;
import java.net.URI;
import java.util.Objects;

/**
 * An edge node that steered names may point at.
 *
 * @param id        unique name of the node, e.g. {@code sh-telecom}; used in logs and {@link DnsServer#targetHealth()}
 * @param address   the address handed out in A (IPv4) or AAAA (IPv6) answers
 * @param province  province code, e.g. {@code SH}; may be null (used by carrier/province steering, when
 *                  {@link DnsConfig#locator()} is set; the health-only policy ignores it)
 * @param carrier   carrier: {@code telecom}, {@code unicom}, {@code mobile} or {@code edu}; may be null (used
 *                  like {@code province})
 * @param weight    share of answers relative to the other healthy targets (&gt; 0)
 * @param healthUrl the node's admin {@code GET /readyz}: 200 means healthy; null means the node is not probed
 *                  and always counts as healthy
 */
public record DnsTarget(String id, InetAddress address, String province, String carrier, int weight, URI healthUrl) {

    public DnsTarget {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        if (id.isBlank()) {
            throw new IllegalArgumentException("id: blank (expected: a node name)");
        }
        if (weight <= 0) {
            throw new IllegalArgumentException("weight of " + id + ": " + weight + " (expected: > 0)");
        }
        if (healthUrl != null && !("http".equals(healthUrl.getScheme()) || "https".equals(healthUrl.getScheme()))) {
            throw new IllegalArgumentException("healthUrl of " + id + ": " + healthUrl + " (expected: http or https)");
        }
    }
}
