package yunjing.deploy.topology;

import java.util.Set;

/** ISO 3166-2:CN subdivision codes (the part after {@code CN-}), including HK, MO and TW. */
final class Provinces {
    private static final Set<String> CODES = Set.of(
            "BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ", "AH", "FJ", "JX", "SD", "HA",
            "HB", "HN", "GD", "GX", "HI", "CQ", "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ",
            "HK", "MO", "TW");

    private Provinces() {
    }

    static boolean isValid(String code) {
        return CODES.contains(code);
    }
}
