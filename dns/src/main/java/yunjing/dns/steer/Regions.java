package yunjing.dns.steer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * China's conventional regions (华东, 华南, 华北, 东北, 华中, 西南, 西北), by province code; the
 * second tier of steering, between "same province" and "anywhere". Hong Kong, Macao and Taiwan
 * have no region here: they match by province only.
 */
final class Regions {

    private static final Map<String, String> REGION = build(Map.of(
            "east", List.of("SH", "JS", "ZJ", "AH", "FJ", "JX", "SD"),
            "south", List.of("GD", "GX", "HI"),
            "north", List.of("BJ", "TJ", "HE", "SX", "NM"),
            "northeast", List.of("LN", "JL", "HL"),
            "central", List.of("HA", "HB", "HN"),
            "southwest", List.of("CQ", "SC", "GZ", "YN", "XZ"),
            "northwest", List.of("SN", "GS", "QH", "NX", "XJ")));

    private Regions() {
    }

    private static Map<String, String> build(Map<String, List<String>> regions) {
        Map<String, String> m = new HashMap<>();
        regions.forEach((region, provinces) -> provinces.forEach(p -> m.put(p, region)));
        return Map.copyOf(m);
    }

    /** The region of a province code, or null (unknown code, or null). */
    static String of(String province) {
        return province == null ? null : REGION.get(province);
    }
}
