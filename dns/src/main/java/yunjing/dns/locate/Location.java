package yunjing.dns.locate;

/**
 * Where a client is, as far as the locator can tell; any field may be null.
 *
 * @param country   ISO 3166-1 code from GeoIP, e.g. {@code CN}
 * @param province  our province code, e.g. {@code GD} (see {@code Provinces})
 * @param asn       the AS number announcing the address
 * @param asOrg     that AS's organisation name
 * @param carrier   {@code telecom}, {@code unicom}, {@code mobile} or {@code edu}
 * @param decidedBy which sources set carrier and province: one name when the same source set both
 *                  ({@code lines}, {@code none}), else {@code carrier:<source>,province:<source>} with
 *                  sources {@code lines}, {@code asn-table}, {@code as-org}, {@code geoip-city},
 *                  {@code asn-province}, {@code none}
 * @param node      a target id an operator line pins this block to, or null
 */
public record Location(String country, String province, Integer asn, String asOrg, String carrier, String decidedBy,
        String node) {

    public static final Location UNKNOWN = new Location(null, null, null, null, null, "none", null);

    public Location(String country, String province, Integer asn, String asOrg, String carrier, String decidedBy) {
        this(country, province, asn, asOrg, carrier, decidedBy, null);
    }
}
