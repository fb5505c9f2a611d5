package yunjing.dns.locate;

import org.apache.commons.net.util.SubnetUtils;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The operator's "lines": CIDR blocks with a carrier, province and/or node that override every
 * other source. One line each ({@code #} comments, {@code -} for "not set"):
 * <pre>
 * # cidr           carrier  province  [node]
 * 203.0.113.0/24   unicom   GD
 * 2001:db8::/32    mobile   -         bj-mobile
 * </pre>
 * The most specific matching block wins. IPv4 blocks are parsed by Commons Net's
 * {@link SubnetUtils}; it has no IPv6, so IPv6 blocks are parsed here. A block written with host
 * bits set ({@code 10.0.0.1/8}) is rejected, since it is most likely a typo.
 *
 * <p>Lookups scan every line: operator files hold tens to hundreds of blocks. Immutable.
 */
final class LinesTable {

    static final LinesTable EMPTY = new LinesTable(List.of());

    record Line(byte[] network, int prefix, String carrier, String province, String node, String where) {

        String cidr() {
            try {
                return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
            } catch (UnknownHostException e) {
                throw new AssertionError(e); // 4 or 16 bytes by construction
            }
        }
    }

    /**
     * @param line        the most specific line containing the address, or null
     * @param blockPrefix the widest block around the address inside which the match stays the same
     */
    record Match(Line line, int blockPrefix) {
    }

    private final List<Line> lines;

    private LinesTable(List<Line> lines) {
        this.lines = List.copyOf(lines);
    }

    int size() {
        return lines.size();
    }

    static LinesTable load(Path file) throws IOException {
        List<Line> lines = new ArrayList<>();
        List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < text.size(); i++) {
            String s = text.get(i);
            int hash = s.indexOf('#');
            s = (hash >= 0 ? s.substring(0, hash) : s).strip();
            if (s.isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1);
            String[] f = s.split("\\s+");
            if (f.length < 3 || f.length > 4) {
                throw new IOException(where + ": expected: CIDR CARRIER PROVINCE [NODE] (\"-\" for none)");
            }
            try {
                lines.add(parse(f, where));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }
        return new LinesTable(lines);
    }

    private static Line parse(String[] f, String where) {
        String cidr = f[0];
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(cidr + " (expected: ADDRESS/PREFIX)");
        }
        String address = cidr.substring(0, slash);
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(cidr + " (expected: ADDRESS/PREFIX)");
        }
        byte[] network;
        if (address.indexOf(':') < 0) {
            SubnetUtils.SubnetInfo info = new SubnetUtils(cidr).getInfo(); // validates the IPv4 CIDR
            if (!info.getNetworkAddress().equals(address)) {
                throw new IllegalArgumentException(cidr + " has host bits set (expected: "
                        + info.getNetworkAddress() + "/" + prefix + ")");
            }
            network = IpBits.parseLiteral(address).getAddress();
        } else {
            InetAddress parsed = IpBits.parseLiteral(address);
            if (parsed instanceof Inet4Address || prefix < 0 || prefix > 128) {
                throw new IllegalArgumentException(cidr + " (expected: an IPv6 block, prefix 0–128)");
            }
            network = parsed.getAddress();
            if (!Arrays.equals(network, IpBits.first(network, prefix))) {
                throw new IllegalArgumentException(cidr + " has host bits set");
            }
        }
        String carrier = none(f[1]) ? null : f[1].toLowerCase(Locale.ROOT);
        if (carrier != null && !AsnCarrierTable.CARRIERS.contains(carrier)) {
            throw new IllegalArgumentException("carrier " + f[1] + " (expected: telecom, unicom, mobile, edu or -)");
        }
        String province = none(f[2]) ? null : Provinces.normalise(f[2]);
        if (!none(f[2]) && province == null) {
            throw new IllegalArgumentException("province " + f[2] + " (expected: a code such as SH, GD, or -)");
        }
        String node = f.length == 4 && !none(f[3]) ? f[3] : null;
        return new Line(network, prefix, carrier, province, node, where);
    }

    private static boolean none(String s) {
        return s.equals("-");
    }

    Match find(byte[] address) {
        Line best = null;
        for (Line l : lines) {
            if (IpBits.contains(l.network, l.prefix, address) && (best == null || l.prefix > best.prefix)) {
                best = l;
            }
        }
        // The answer stays the same over the block of the best line (or the whole space), less any
        // more specific line inside it: shrink the block until it splits off each such line.
        int block = best == null ? 0 : best.prefix;
        for (Line l : lines) {
            if (l != best && l.network.length == address.length && !IpBits.contains(l.network, l.prefix, address)) {
                block = Math.max(block, IpBits.commonPrefix(address, l.network) + 1);
            }
        }
        return new Match(best, Math.min(block, IpBits.bits(address)));
    }
}
