package yunjing.dns.testing;

import yunjing.dns.testing.MmdbWriter.U32;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Small, synthetic location data (10.0.0.0/8 and the documentation prefix 2001:db8::/32; no real
 * registry data) written as the real formats: a GeoIP2 City MMDB, a GeoIP2 ASN MMDB, an
 * ip-location-db ASN CSV and an operator lines file.
 * <pre>
 * block            city           AS                                   lines
 * 10.1.0.0/16      CN GD          4837  CHINA UNICOM China169 Backbone
 * 10.2.0.0/16      CN SH          4134  Chinanet                       10.2.3.0/24 unicom GD
 * 10.3.0.0/16      CN (none)      9808  China Mobile (no province)
 * 10.4.0.0/16      CN (none)      56040 on 10.4.0.0–10.4.127.255 only (province GD by ASN)
 * 10.5.0.0/16      CN "44" (=GD)  64512 CHINA UNICOM CNCGROUP … (carrier by AS name)
 * 10.6.0.0/16                                                          edu BJ
 * 10.7.0.0/16                                                          - - gz-unicom
 * 10.9.0.0/16      US
 * 2001:db8:1::/48  CN GD          4837
 * 2001:db8:2::/48                                                      mobile -
 * </pre>
 */
public final class LocateFixtures {

    private LocateFixtures() {
    }

    public static Path cityDb(Path dir) throws IOException {
        return new MmdbWriter("GeoLite2-City")
                .insert("10.1.0.0/16", city("CN", "GD"))
                .insert("10.2.0.0/16", city("CN", "SH"))
                .insert("10.3.0.0/16", city("CN", null))
                .insert("10.4.0.0/16", city("CN", null))
                .insert("10.5.0.0/16", city("CN", "44"))
                .insert("10.9.0.0/16", city("US", null))
                .insert("2001:db8:1::/48", city("CN", "GD"))
                .write(dir.resolve("city.mmdb"));
    }

    private static Map<String, Object> city(String country, String subdivision) {
        Map<String, Object> countryRecord = Map.of("iso_code", country, "names", Map.of("en", country));
        return subdivision == null ? Map.of("country", countryRecord)
                : Map.of("country", countryRecord, "subdivisions", List.of(Map.of("iso_code", subdivision)));
    }

    public static Path asnDb(Path dir) throws IOException {
        return new MmdbWriter("GeoLite2-ASN")
                .insert("10.1.0.0/16", asn(4837, "CHINA UNICOM China169 Backbone"))
                .insert("10.2.0.0/16", asn(4134, "Chinanet"))
                .insert("10.3.0.0/16", asn(9808, "China Mobile Communications Group Co., Ltd."))
                .insert("10.4.0.0/17", asn(56040, "China Mobile Guangdong"))
                .insert("10.5.0.0/16", asn(64512, "CHINA UNICOM CNCGROUP Guangdong"))
                .insert("2001:db8:1::/48", asn(4837, "CHINA UNICOM China169 Backbone"))
                .write(dir.resolve("asn.mmdb"));
    }

    private static Map<String, Object> asn(long number, String org) {
        return Map.of("autonomous_system_number", new U32(number), "autonomous_system_organization", org);
    }

    public static Path asnCsv(Path dir) throws IOException {
        return Files.writeString(dir.resolve("asn.csv"), """
                10.1.0.0,10.1.255.255,4837,CHINA UNICOM China169 Backbone
                10.2.0.0,10.2.255.255,4134,Chinanet
                10.3.0.0,10.3.255.255,9808,"China Mobile Communications Group Co., Ltd."
                10.4.0.0,10.4.127.255,56040,China Mobile Guangdong
                10.5.0.0,10.5.255.255,64512,CHINA UNICOM CNCGROUP Guangdong
                2001:db8:1::,2001:db8:1:ffff:ffff:ffff:ffff:ffff,4837,CHINA UNICOM China169 Backbone
                """);
    }

    public static Path lines(Path dir) throws IOException {
        return Files.writeString(dir.resolve("lines.txt"), """
                # cidr            carrier  province  node
                10.2.3.0/24       unicom   GD                  # a Unicom block inside Telecom's
                10.6.0.0/16       edu      BJ
                10.7.0.0/16       -        -         gz-unicom
                2001:db8:2::/48   mobile   -
                """);
    }
}
