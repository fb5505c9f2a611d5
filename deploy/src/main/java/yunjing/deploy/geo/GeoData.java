package yunjing.deploy.geo;

import yunjing.dns.locate.LocatorConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A directory of GeoIP data as {@code yunjing geo fetch} lays it out: {@code GeoLite2-City.mmdb}
 * (MaxMind GeoLite2 City) and {@code asn.csv} (ip-location-db ASN, IPv4 and IPv6 rows), plus an
 * optional operator {@code lines.csv}.
 */
public record GeoData(Path dir) {

    public static final String CITY = "GeoLite2-City.mmdb";
    public static final String ASN = "asn.csv";
    public static final String LINES = "lines.csv";

    public Path city() {
        return dir.resolve(CITY);
    }

    public Path asn() {
        return dir.resolve(ASN);
    }

    /** The locator configuration for the files present; an empty directory is an error the caller reports. */
    public LocatorConfig locatorConfig(Path linesOverride) {
        Path lines = linesOverride != null ? linesOverride : existing(dir.resolve(LINES));
        return new LocatorConfig(existing(city()), existing(asn()), lines, null);
    }

    public boolean hasAny() {
        return Files.isRegularFile(city()) || Files.isRegularFile(asn());
    }

    private static Path existing(Path file) {
        return Files.isRegularFile(file) ? file : null;
    }
}
