package yunjing.dns.locate;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Locates a client address: country, province, AS and carrier, from several sources with a fixed
 * precedence (first that knows wins, per field):
 * <ul>
 * <li>carrier: operator lines → ASN table (by number) → AS organisation name pattern;
 * <li>province: operator lines → GeoIP City subdivision → province of a provincial ASN
 *     (GeoLite2 often has no subdivision for Chinese addresses, the AS often names it);
 * <li>node: operator lines only; country: GeoIP City; AS number and name: the ASN source.
 * </ul>
 * Every lookup also yields the widest CIDR block around the address for which every consulted
 * source gives the same answer (the most specific of their blocks, since aligned blocks around one
 * address nest), which is what an ECS response's scope may claim (RFC 7871 section 7.2.1).
 *
 * <p>Thread-safe and immutable once opened: lookups are in memory (the MMDB readers map their
 * files) and run on event loops. {@link #close} releases the database readers.
 */
public final class ClientLocator implements Closeable {

    /** The widest block around an address with the same {@link Location}. */
    public record Located(Location location, int prefixLength) {
    }

    private final LocatorConfig config;
    private final LinesTable lines;
    private final GeoCity city;
    private final AsnSource asn;
    private final AsnCarrierTable carriers;
    private final LocatedCache cache = new LocatedCache();

    private ClientLocator(LocatorConfig config, LinesTable lines, GeoCity city, AsnSource asn,
            AsnCarrierTable carriers) {
        this.config = config;
        this.lines = lines;
        this.city = city;
        this.asn = asn;
        this.carriers = carriers;
    }

    /**
     * Loads every configured source. Errors name the file (and line, for text files).
     *
     * @throws IOException a file is unreadable, malformed, or an MMDB of the wrong type
     */
    public static ClientLocator open(LocatorConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        LinesTable lines = config.linesFile() == null ? LinesTable.EMPTY : LinesTable.load(config.linesFile());
        AsnCarrierTable carriers = config.carrierTableFile() == null ? AsnCarrierTable.defaults()
                : AsnCarrierTable.load(config.carrierTableFile());
        GeoCity city = config.geoCityDb() == null ? null : GeoCity.open(config.geoCityDb());
        AsnSource asn = null;
        try {
            if (config.asnDb() != null) {
                asn = config.asnDb().getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")
                        ? AsnCsvTable.load(config.asnDb()) : AsnMmdb.open(config.asnDb());
            }
        } catch (IOException | RuntimeException e) {
            if (city != null) {
                city.close();
            }
            throw e;
        }
        return new ClientLocator(config, lines, city, asn, carriers);
    }

    public LocatorConfig config() {
        return config;
    }

    public Location locate(InetAddress address) {
        return resolve(address, null).location();
    }

    /**
     * The location and the widest block around {@code address} that shares it. Answers are cached by
     * that block ({@link LocatedCache}), so repeated clients of one block cost a few array reads.
     */
    public Located lookup(InetAddress address) {
        byte[] a = Objects.requireNonNull(address, "address").getAddress();
        Located cached = cache.get(a);
        if (cached != null) {
            return cached;
        }
        Located located = resolve(address, null);
        cache.put(a, located);
        return located;
    }

    /** Every source consulted for {@code address}, what it found and which decided. */
    public Explanation explain(InetAddress address) {
        List<Explanation.Step> steps = new ArrayList<>();
        Located located = resolve(address, steps);
        return new Explanation(address, located.location(), located.prefixLength(), steps);
    }

    /** @param steps receives the explanation when non-null (the hot path passes null and builds no text) */
    private Located resolve(InetAddress address, List<Explanation.Step> steps) {
        Objects.requireNonNull(address, "address");
        byte[] a = address.getAddress();

        LinesTable.Match match = lines.find(a);
        LinesTable.Line line = match.line();
        int block = match.blockPrefix();

        GeoCity.Hit geo = city == null ? null : city.find(address);
        if (geo != null) {
            block = Math.max(block, geo.blockPrefix());
        }
        AsnSource.Hit as = asn == null ? null : asn.find(address);
        if (as != null) {
            block = Math.max(block, as.blockPrefix());
        }
        // ASNs above 2^31 - 1 are the private-use range (RFC 6996): nothing to look up.
        Integer asNumber = as == null || as.asn() == null || as.asn() > Integer.MAX_VALUE ? null
                : Integer.valueOf(as.asn().intValue());
        String asOrg = as == null ? null : as.org();

        String carrier = null;
        String carrierBy = "none";
        String tableCarrier = asNumber == null ? null : carriers.carrierOf(asNumber);
        if (line != null && line.carrier() != null) {
            carrier = line.carrier();
            carrierBy = "lines";
        } else if (tableCarrier != null) {
            carrier = tableCarrier;
            carrierBy = "asn-table";
        } else if (asOrg != null) {
            carrier = carriers.carrierOfOrg(asOrg); // regexes: only when the number did not decide
            carrierBy = carrier == null ? "none" : "as-org";
        }

        String province = null;
        String provinceBy = "none";
        String asnProvince = asNumber == null ? null : carriers.provinceOf(asNumber);
        if (line != null && line.province() != null) {
            province = line.province();
            provinceBy = "lines";
        } else if (geo != null && geo.province() != null) {
            province = geo.province();
            provinceBy = "geoip-city";
        } else if (asnProvince != null) {
            province = asnProvince;
            provinceBy = "asn-province";
        }
        String node = line == null ? null : line.node();
        String decidedBy = carrierBy.equals(provinceBy) ? carrierBy
                : "carrier:" + carrierBy + ",province:" + provinceBy;
        Location location = new Location(geo == null ? null : geo.country(), province, asNumber, asOrg, carrier,
                decidedBy, node);

        if (steps != null) {
            String linesName = config.linesFile() == null ? "lines" : "lines " + config.linesFile();
            steps.add(new Explanation.Step(linesName, config.linesFile() == null ? "not configured"
                    : line == null ? "no match (" + lines.size() + " blocks)"
                    : line.cidr() + " carrier=" + line.carrier() + " province=" + line.province()
                            + (line.node() == null ? "" : " node=" + line.node()) + " (" + line.where() + ")",
                    line != null));
            steps.add(new Explanation.Step(city == null ? "geoip-city" : city.describe(),
                    city == null ? "not configured"
                            : geo.country() == null ? "no record"
                            : "country=" + geo.country() + " subdivision=" + geo.subdivision()
                                    + " province=" + geo.province(),
                    "geoip-city".equals(provinceBy)));
            steps.add(new Explanation.Step(asn == null ? "asn" : asn.describe(),
                    asn == null ? "not configured"
                            : as.asn() == null ? "no range" : "AS" + as.asn() + " " + as.org(),
                    false));
            steps.add(new Explanation.Step("carrier-table (by ASN)",
                    asNumber == null ? "no ASN" : tableCarrier == null ? "AS" + asNumber + " not listed" : tableCarrier,
                    "asn-table".equals(carrierBy)));
            steps.add(new Explanation.Step("carrier-table (by AS name)",
                    asOrg == null ? "no AS name" : carriers.carrierOfOrg(asOrg) == null ? "no pattern matches"
                            : carriers.carrierOfOrg(asOrg),
                    "as-org".equals(carrierBy)));
            steps.add(new Explanation.Step("province-from-ASN",
                    asNumber == null ? "no ASN"
                            : asnProvince == null ? "AS" + asNumber + " not provincial" : asnProvince,
                    "asn-province".equals(provinceBy)));
        }
        return new Located(location, Math.min(block, IpBits.bits(a)));
    }

    @Override
    public void close() throws IOException {
        try {
            if (city != null) {
                city.close();
            }
        } finally {
            if (asn != null) {
                asn.close();
            }
        }
    }
}
