package yunjing.dns.locate;

import java.nio.file.Path;

/**
 * The data a {@link ClientLocator} reads; every path is optional (null = that source is absent).
 *
 * @param geoCityDb        a GeoIP2/GeoLite2 City {@code .mmdb}: country and province
 * @param asnDb            a GeoIP2/GeoLite2 ASN {@code .mmdb}, or an ip-location-db ASN {@code .csv}
 * @param linesFile        the operator's CIDR → carrier/province/node overrides (see {@code LinesTable})
 * @param carrierTableFile additions to the built-in ASN → carrier/province table (see {@link AsnCarrierTable})
 */
public record LocatorConfig(Path geoCityDb, Path asnDb, Path linesFile, Path carrierTableFile) {
}
