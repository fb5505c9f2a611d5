package yunjing.dns.locate;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * AS numbers from the ip-location-db ASN CSV ({@code @ip-location-db/asn}):
 * {@code ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization}, IPv4
 * and IPv6 rows in any mix, no header (a header line is skipped). The organisation may be quoted
 * RFC 4180-style when it holds commas. Ranges are kept per family in arrays sorted by start and
 * found by binary search. The published files have a few overlapping rows (e.g. two DoD blocks
 * around 215.0.0.0 in the 2026 data): the earlier-starting row keeps the overlap, the later row is
 * clipped to start after it, or dropped when wholly inside it. Immutable.
 */
final class AsnCsvTable implements AsnSource {

    private record Range(byte[] start, byte[] end, long asn, String org) {
    }

    private final Path file;
    private final Range[] v4;
    private final Range[] v6;

    /** IPv4 range starts as unsigned values: the hot binary search runs over one primitive array. */
    private final long[] v4Starts;

    private AsnCsvTable(Path file, Range[] v4, Range[] v6) {
        this.file = file;
        this.v4 = v4;
        this.v6 = v6;
        this.v4Starts = new long[v4.length];
        for (int i = 0; i < v4.length; i++) {
            v4Starts[i] = unsigned(v4[i].start);
        }
    }

    private static long unsigned(byte[] ipv4) {
        return ((ipv4[0] & 0xFFL) << 24) | ((ipv4[1] & 0xFF) << 16) | ((ipv4[2] & 0xFF) << 8) | (ipv4[3] & 0xFF);
    }

    static AsnCsvTable load(Path file) throws IOException {
        List<Range> v4 = new ArrayList<>();
        List<Range> v6 = new ArrayList<>();
        Map<String, String> orgs = new HashMap<>(); // the same few thousand names repeat over ~10^6 rows
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank() || (n == 1 && line.startsWith("ip_range_start"))) {
                    continue;
                }
                Range r;
                try {
                    r = parse(line, orgs);
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ":" + n + ": " + e.getMessage(), e);
                }
                (r.start.length == 4 ? v4 : v6).add(r);
            }
        }
        return new AsnCsvTable(file, sorted(v4), sorted(v6));
    }

    private static Range parse(String line, Map<String, String> orgs) {
        String[] f = line.split(",", 4);
        if (f.length < 3) {
            throw new IllegalArgumentException("expected: start,end,asn,organisation");
        }
        byte[] start = IpBits.parseLiteral(f[0].strip()).getAddress();
        byte[] end = IpBits.parseLiteral(f[1].strip()).getAddress();
        if (start.length != end.length || IpBits.compare(start, end) > 0) {
            throw new IllegalArgumentException(f[0] + " – " + f[1] + " (expected: start <= end, one family)");
        }
        long asn;
        try {
            asn = Long.parseLong(f[2].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("asn " + f[2] + " (expected: a number)");
        }
        String org = f.length == 4 ? unquote(f[3].strip()) : "";
        return new Range(start, end, asn, orgs.computeIfAbsent(org, o -> o));
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            return s.substring(1, s.length() - 1).replace("\"\"", "\"");
        }
        return s;
    }

    private static Range[] sorted(List<Range> ranges) {
        Range[] a = ranges.toArray(new Range[0]);
        Arrays.sort(a, Comparator.comparing(Range::start, IpBits::compare));
        List<Range> disjoint = new ArrayList<>(a.length);
        for (Range r : a) {
            Range last = disjoint.isEmpty() ? null : disjoint.get(disjoint.size() - 1);
            if (last != null && IpBits.compare(r.start, last.end) <= 0) {
                if (IpBits.compare(r.end, last.end) <= 0) {
                    continue;  // wholly inside the previous range
                }
                r = new Range(IpBits.next(last.end), r.end, r.asn, r.org);
            }
            disjoint.add(r);
        }
        return disjoint.toArray(new Range[0]);
    }


    int size() {
        return v4.length + v6.length;
    }

    @Override
    public Hit find(InetAddress address) {
        byte[] a = address.getAddress();
        Range[] ranges = a.length == 4 ? v4 : v6;
        // Last range starting at or before a.
        int lo = 0;
        int hi = ranges.length - 1;
        int at = -1;
        if (a.length == 4) {
            int i = Arrays.binarySearch(v4Starts, unsigned(a));
            at = i >= 0 ? i : -i - 2;
            lo = hi + 1; // done
        }
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (IpBits.compare(ranges[mid].start, a) <= 0) {
                at = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (at >= 0 && IpBits.compare(a, ranges[at].end) <= 0) {
            Range r = ranges[at];
            return new Hit(r.asn, r.org.isEmpty() ? null : r.org, IpBits.widestBlockWithin(a, r.start, r.end));
        }
        // In a gap: the answer ("none") holds from the end of the range before to the start of the next.
        byte[] gapStart = at >= 0 ? IpBits.next(ranges[at].end) : new byte[a.length];
        byte[] gapEnd = at + 1 < ranges.length ? IpBits.previous(ranges[at + 1].start) : IpBits.last(a, 0);
        return new Hit(null, null, IpBits.widestBlockWithin(a, gapStart, gapEnd));
    }

    @Override
    public String describe() {
        return "asn-csv " + file;
    }

    @Override
    public void close() {
    }
}
