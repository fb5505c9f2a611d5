package yunjing.dns.locate;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Province codes: the two-letter ISO 3166-2:CN subdivision codes (since the 2017 revision), which
 * is what GeoIP2 reports as a Chinese subdivision's {@code iso_code}. Older data carries the
 * numeric GB/T 2260 codes of the pre-2017 ISO list ({@code 31} = Shanghai), mapped here too.
 */
final class Provinces {

    static final Set<String> CODES = Set.of(
            "BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ", "AH", "FJ", "JX", "SD",
            "HA", "HB", "HN", "GD", "GX", "HI", "CQ", "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ",
            "HK", "MO", "TW");

    private static final Map<String, String> GB2260 = Map.ofEntries(
            Map.entry("11", "BJ"), Map.entry("12", "TJ"), Map.entry("13", "HE"), Map.entry("14", "SX"),
            Map.entry("15", "NM"), Map.entry("21", "LN"), Map.entry("22", "JL"), Map.entry("23", "HL"),
            Map.entry("31", "SH"), Map.entry("32", "JS"), Map.entry("33", "ZJ"), Map.entry("34", "AH"),
            Map.entry("35", "FJ"), Map.entry("36", "JX"), Map.entry("37", "SD"), Map.entry("41", "HA"),
            Map.entry("42", "HB"), Map.entry("43", "HN"), Map.entry("44", "GD"), Map.entry("45", "GX"),
            Map.entry("46", "HI"), Map.entry("50", "CQ"), Map.entry("51", "SC"), Map.entry("52", "GZ"),
            Map.entry("53", "YN"), Map.entry("54", "XZ"), Map.entry("61", "SN"), Map.entry("62", "GS"),
            Map.entry("63", "QH"), Map.entry("64", "NX"), Map.entry("65", "XJ"), Map.entry("71", "TW"),
            Map.entry("91", "HK"), Map.entry("92", "MO"));

    private Provinces() {
    }

    /** Our code for a Chinese subdivision ISO code ({@code SH}, {@code CN-SH}, {@code 31}), or null. */
    static String normalise(String iso) {
        if (iso == null) {
            return null;
        }
        String s = iso.trim().toUpperCase(Locale.ROOT);
        if (s.startsWith("CN-")) {
            s = s.substring(3);
        }
        if (CODES.contains(s)) {
            return s;
        }
        return GB2260.get(s);
    }
}
