package yunjing.dns.locate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What an autonomous system tells about a client: its carrier (by number, else by the AS
 * organisation's name) and, for provincial ASNs, its province. Immutable.
 *
 * <p>An override file adds to and replaces the defaults, one rule a line ({@code #} comments):
 * <pre>
 * AS4812 telecom SH          # ASN → carrier, optional province ("-" for none)
 * org unicom (?i)CNCGROUP    # organisation-name regex → carrier; tried before the defaults
 * </pre>
 */
public final class AsnCarrierTable {

    public static final Set<String> CARRIERS = Set.of("telecom", "unicom", "mobile", "edu");

    private static final AsnCarrierTable DEFAULTS = buildDefaults();

    private final Map<Integer, String> carrierByAsn;
    private final Map<Integer, String> provinceByAsn;
    private final List<OrgRule> orgRules;

    private record OrgRule(Pattern pattern, String carrier) {
    }

    private AsnCarrierTable(Map<Integer, String> carrierByAsn, Map<Integer, String> provinceByAsn,
            List<OrgRule> orgRules) {
        this.carrierByAsn = Map.copyOf(carrierByAsn);
        this.provinceByAsn = Map.copyOf(provinceByAsn);
        this.orgRules = List.copyOf(orgRules);
    }

    /** The built-in table (see {@code buildDefaults} for sources). */
    public static AsnCarrierTable defaults() {
        return DEFAULTS;
    }

    /** The defaults with the rules of {@code overrides} on top; errors read {@code file:line: problem}. */
    public static AsnCarrierTable load(Path overrides) throws IOException {
        Map<Integer, String> carriers = new HashMap<>(DEFAULTS.carrierByAsn);
        Map<Integer, String> provinces = new HashMap<>(DEFAULTS.provinceByAsn);
        List<OrgRule> rules = new ArrayList<>();
        List<String> lines = Files.readAllLines(overrides, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = stripComment(lines.get(i));
            if (line.isEmpty()) {
                continue;
            }
            String where = overrides + ":" + (i + 1) + ": ";
            String[] f = line.split("\\s+", 3);
            if (f[0].equals("org")) {
                if (f.length < 3) {
                    throw new IOException(where + "expected: org CARRIER REGEX");
                }
                try {
                    rules.add(new OrgRule(Pattern.compile(f[2]), carrier(where, f[1])));
                } catch (PatternSyntaxException e) {
                    throw new IOException(where + "bad regex: " + e.getDescription(), e);
                }
            } else if (f[0].regionMatches(true, 0, "AS", 0, 2)) {
                int asn;
                try {
                    asn = Integer.parseInt(f[0].substring(2));
                } catch (NumberFormatException e) {
                    throw new IOException(where + f[0] + " (expected: AS followed by a number)");
                }
                if (f.length < 2) {
                    throw new IOException(where + "expected: AS<number> CARRIER [PROVINCE]");
                }
                carriers.put(asn, carrier(where, f[1]));
                if (f.length == 3 && !f[2].equals("-")) {
                    String province = Provinces.normalise(f[2]);
                    if (province == null) {
                        throw new IOException(where + "province " + f[2] + " (expected: a code such as SH, GD)");
                    }
                    provinces.put(asn, province);
                }
            } else {
                throw new IOException(where + f[0] + " (expected: AS<number> or org)");
            }
        }
        rules.addAll(DEFAULTS.orgRules);
        return new AsnCarrierTable(carriers, provinces, rules);
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return (hash >= 0 ? line.substring(0, hash) : line).strip();
    }

    private static String carrier(String where, String s) throws IOException {
        String c = s.toLowerCase(Locale.ROOT);
        if (!CARRIERS.contains(c)) {
            throw new IOException(where + "carrier " + s + " (expected: one of telecom, unicom, mobile, edu)");
        }
        return c;
    }

    /** Carrier of this AS number, or null. */
    public String carrierOf(long asn) {
        return asn > Integer.MAX_VALUE ? null : carrierByAsn.get((int) asn);
    }

    /** Carrier whose organisation-name pattern matches {@code org}, or null. */
    public String carrierOfOrg(String org) {
        if (org == null) {
            return null;
        }
        for (OrgRule rule : orgRules) {
            if (rule.pattern.matcher(org).find()) {
                return rule.carrier;
            }
        }
        return null;
    }

    /** Province a provincial AS serves, or null for national and unknown ASes. */
    public String provinceOf(long asn) {
        return asn > Integer.MAX_VALUE ? null : provinceByAsn.get((int) asn);
    }

    private static AsnCarrierTable buildDefaults() {
        Map<Integer, String> carriers = new HashMap<>();
        // The carrier ASNs commonly cited (docs/product.md): Telecom (CHINANET backbone, CN2,
        // CHINANET-SH, CTGNet), Unicom (CHINA169, CNCGROUP-BJ, CU industrial net, CU global),
        // Mobile (CMNET and its provincial ASes 56040–56048, CMI), CERNET (CERNET, CERNET2, CERNET-NET).
        for (int asn : new int[] {4134, 4809, 4812, 23764}) {
            carriers.put(asn, "telecom");
        }
        for (int asn : new int[] {4837, 4808, 9929, 10099, 17816}) {
            carriers.put(asn, "unicom");
        }
        carriers.put(9808, "mobile");
        for (int asn = 56040; asn <= 56048; asn++) {
            carriers.put(asn, "mobile");
        }
        carriers.put(58453, "mobile");
        for (int asn : new int[] {4538, 23910, 24206}) {
            carriers.put(asn, "edu");
        }
        // Provincial ASes by their registry (APNIC whois) names; only ones we are sure of:
        // AS4812 CHINANET-SH-AP (China Telecom Shanghai), AS4808 CHINA169-BJ (China Unicom Beijing),
        // AS17816 CHINA169-GZ (China Unicom Guangdong), AS56040 CMNET-GUANGDONG-AP (China Mobile
        // Guangdong), AS56041 CMNET-ZHEJIANG-AP (China Mobile Zhejiang).
        Map<Integer, String> provinces = Map.of(4812, "SH", 4808, "BJ", 17816, "GD", 56040, "GD", 56041, "ZJ");
        List<OrgRule> rules = List.of(
                // CHINANET but not ChinaNetCenter (Wangsu, a CDN).
                new OrgRule(Pattern.compile("CHINANET(?!\\s*-?CENTER)|China ?Telecom|CHINATELECOM",
                        Pattern.CASE_INSENSITIVE), "telecom"),
                new OrgRule(Pattern.compile("UNICOM|CNCGROUP|CHINA169", Pattern.CASE_INSENSITIVE), "unicom"),
                new OrgRule(Pattern.compile("China ?Mobile|CMNET|CHINAMOBILE", Pattern.CASE_INSENSITIVE), "mobile"),
                new OrgRule(Pattern.compile("CERNET|China Education and Research", Pattern.CASE_INSENSITIVE), "edu"));
        return new AsnCarrierTable(carriers, provinces, rules);
    }
}
