package yunjing.dns.locate;

import java.net.InetAddress;
import java.util.List;

/**
 * How a {@link ClientLocator} located one address: every source it consulted, in precedence
 * order, what each found, and which decided. {@link #toString()} is the text of
 * {@code yunjing dns explain IP}.
 *
 * @param address      the address explained
 * @param location     the result
 * @param prefixLength the widest block around {@code address} (its prefix length) over which every
 *                     consulted source answers the same, hence {@code location} is the same
 * @param steps        the sources consulted, in precedence order
 */
public record Explanation(InetAddress address, Location location, int prefixLength, List<Step> steps) {

    /**
     * @param source  e.g. {@code lines /etc/yunjing/lines.txt}, {@code geoip-city …}, {@code carrier-table}
     * @param finding what it said, e.g. {@code AS4812 CHINANET-SH-AP}; {@code no match} when nothing
     * @param decided whether its finding set a field of the result
     */
    public record Step(String source, String finding, boolean decided) {
    }

    public Explanation {
        steps = List.copyOf(steps);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(address.getHostAddress()).append(" (same answer for the /").append(prefixLength).append(")\n");
        for (Step s : steps) {
            b.append(s.decided ? "  * " : "    ").append(s.source).append(": ").append(s.finding).append('\n');
        }
        Location l = location;
        b.append("  => carrier=").append(l.carrier()).append(" province=").append(l.province())
                .append(" country=").append(l.country()).append(" asn=").append(l.asn())
                .append(l.node() == null ? "" : " node=" + l.node())
                .append(" (decided by ").append(l.decidedBy()).append(")\n");
        return b.toString();
    }
}
