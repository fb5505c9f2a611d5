package yunjing.dns.locate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.dns.testing.LocateFixtures;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The locator on generated GeoIP2 City/ASN MMDBs (read by MaxMind's reader), an ASN CSV and a lines file. */
class ClientLocatorTest {

    @TempDir
    Path dir;

    private ClientLocator locator;

    @AfterEach
    void close() throws IOException {
        if (locator != null) {
            locator.close();
        }
    }

    private ClientLocator withCsv() throws IOException {
        locator = ClientLocator.open(new LocatorConfig(LocateFixtures.cityDb(dir), LocateFixtures.asnCsv(dir),
                LocateFixtures.lines(dir), null));
        return locator;
    }

    private ClientLocator withAsnMmdb() throws IOException {
        locator = ClientLocator.open(new LocatorConfig(LocateFixtures.cityDb(dir), LocateFixtures.asnDb(dir),
                LocateFixtures.lines(dir), null));
        return locator;
    }

    private static InetAddress ip(String literal) {
        return IpBits.parseLiteral(literal);
    }

    @Test
    void locate_unicomAsnAndGeoSubdivision_givesUnicomGuangdong() throws IOException {
        Location l = withCsv().locate(ip("10.1.2.3"));
        assertEquals(new Location("CN", "GD", 4837, "CHINA UNICOM China169 Backbone", "unicom",
                "carrier:asn-table,province:geoip-city"), l);
    }

    @Test
    void locate_sameAnswersFromAsnMmdbAsFromCsv() throws IOException {
        ClientLocator mmdb = withAsnMmdb();
        for (String a : List.of("10.1.2.3", "10.2.9.9", "10.3.1.1", "10.4.1.1", "10.4.200.1", "10.5.1.1", "10.9.1.1",
                "2001:db8:1::5")) {
            Location fromMmdb = mmdb.locate(ip(a));
            try (ClientLocator csv = ClientLocator.open(new LocatorConfig(LocateFixtures.cityDb(dir),
                    LocateFixtures.asnCsv(dir), LocateFixtures.lines(dir), null))) {
                assertEquals(csv.locate(ip(a)), fromMmdb, a);
            }
        }
    }

    @Test
    void locate_telecomShanghai() throws IOException {
        Location l = withCsv().locate(ip("10.2.9.9"));
        assertEquals("telecom", l.carrier());
        assertEquals("SH", l.province());
        assertEquals(4134, l.asn());
    }

    @Test
    void locate_mobileWithoutSubdivision_hasNoProvince() throws IOException {
        Location l = withCsv().locate(ip("10.3.1.1"));
        assertEquals("mobile", l.carrier());
        assertNull(l.province());
        assertEquals("China Mobile Communications Group Co., Ltd.", l.asOrg()); // quoted CSV field
        assertEquals("carrier:asn-table,province:none", l.decidedBy());
    }

    @Test
    void locate_provincialAsn_fillsProvinceGeoIpLacks() throws IOException {
        Location l = withCsv().locate(ip("10.4.1.1"));
        assertEquals("mobile", l.carrier());
        assertEquals("GD", l.province());
        assertEquals("carrier:asn-table,province:asn-province", l.decidedBy());
        Location outsideRange = locator.locate(ip("10.4.200.1"));
        assertNull(outsideRange.asn());
        assertNull(outsideRange.carrier());
    }

    @Test
    void locate_unlistedAsn_carrierFromOrganisationName_numericSubdivision() throws IOException {
        Location l = withCsv().locate(ip("10.5.1.1"));
        assertEquals("unicom", l.carrier());
        assertEquals("GD", l.province()); // "44" is Guangdong's GB/T 2260 code
        assertEquals("carrier:as-org,province:geoip-city", l.decidedBy());
    }

    @Test
    void locate_lineOverridesEverySource_butKeepsAsAndCountry() throws IOException {
        Location l = withCsv().locate(ip("10.2.3.4"));
        assertEquals(new Location("CN", "GD", 4134, "Chinanet", "unicom", "lines"), l);
    }

    @Test
    void locate_lineWithNodeOnly_pinsNode() throws IOException {
        Location l = withCsv().locate(ip("10.7.1.1"));
        assertEquals("gz-unicom", l.node());
        assertNull(l.carrier());
        assertEquals("none", l.decidedBy());
    }

    @Test
    void locate_ipv6_fromGeoIpAsnAndLines() throws IOException {
        Location l = withCsv().locate(ip("2001:db8:1::5"));
        assertEquals("unicom", l.carrier());
        assertEquals("GD", l.province());
        Location line = locator.locate(ip("2001:db8:2::1"));
        assertEquals("mobile", line.carrier());
        assertEquals("carrier:lines,province:none", line.decidedBy());
    }

    @Test
    void locate_unknownAddress_knowsCountryOnly() throws IOException {
        Location l = withCsv().locate(ip("10.9.1.1"));
        assertEquals(new Location("US", null, null, null, null, "none"), l);
        assertEquals(Location.UNKNOWN, locator.locate(ip("192.0.2.1")));
    }

    @Test
    void lookup_prefixIsMostSpecificSourceBlock() throws IOException {
        ClientLocator l = withCsv();
        assertEquals(16, l.lookup(ip("10.1.2.3")).prefixLength());   // city /16, AS range /16
        assertEquals(17, l.lookup(ip("10.4.1.1")).prefixLength());   // AS range is 10.4.0.0/17
        assertEquals(24, l.lookup(ip("10.2.3.4")).prefixLength());   // the line's /24
        // 10.2.9.9 is in 10.2/16 but a /16 would contain the 10.2.3.0/24 line: 10.2.8.0/21 does not.
        assertEquals(21, l.lookup(ip("10.2.9.9")).prefixLength());
        assertEquals(48, l.lookup(ip("2001:db8:1::5")).prefixLength());
    }

    @Test
    void lookup_prefixFromMmdbNetworks() throws IOException {
        ClientLocator l = withAsnMmdb();
        assertEquals(16, l.lookup(ip("10.1.2.3")).prefixLength());
        assertEquals(17, l.lookup(ip("10.4.1.1")).prefixLength());
        assertEquals(48, l.lookup(ip("2001:db8:1::5")).prefixLength());
    }

    @Test
    void lookup_addressMissingFromMmdbs_prefixIsTheEmptyRegion() throws IOException {
        locator = ClientLocator.open(new LocatorConfig(LocateFixtures.cityDb(dir), LocateFixtures.asnDb(dir),
                null, null));
        // 10.8.0.0/16 is empty in both databases (10.9/16 next to it is not); 10.4.128.0/17 only in the ASN one.
        assertEquals(16, locator.lookup(ip("10.8.1.1")).prefixLength());
        assertEquals(17, locator.lookup(ip("10.4.200.1")).prefixLength());
        // Nothing in 128.0.0.0/1 at all.
        assertEquals(1, locator.lookup(ip("192.0.2.1")).prefixLength());
    }

    @Test
    void lookup_withoutSources_isUnknownEverywhere() throws IOException {
        locator = ClientLocator.open(new LocatorConfig(null, null, null, null));
        ClientLocator.Located located = locator.lookup(ip("10.1.2.3"));
        assertEquals(Location.UNKNOWN, located.location());
        assertEquals(0, located.prefixLength());
    }

    @Test
    void explain_listsEverySourceAndMarksDeciders() throws IOException {
        Explanation e = withCsv().explain(ip("10.4.1.1"));
        List<String> sources = e.steps().stream().map(Explanation.Step::source).toList();
        assertEquals(6, sources.size());
        assertTrue(sources.get(0).startsWith("lines "), sources.toString());
        assertTrue(sources.get(1).startsWith("geoip-city "), sources.toString());
        assertTrue(sources.get(2).startsWith("asn-csv "), sources.toString());
        List<String> deciders = e.steps().stream().filter(Explanation.Step::decided)
                .map(Explanation.Step::source).toList();
        assertEquals(List.of("carrier-table (by ASN)", "province-from-ASN"), deciders);
        assertEquals("AS56040 China Mobile Guangdong", e.steps().get(2).finding());
        assertEquals(17, e.prefixLength());
        String text = e.toString();
        assertTrue(text.contains("carrier=mobile province=GD"), text);
        assertTrue(text.startsWith("10.4.1.1 (same answer for the /17)"), text);
    }

    @Test
    void explain_unconfiguredSourcesSaySo() throws IOException {
        locator = ClientLocator.open(new LocatorConfig(null, null, null, null));
        Explanation e = locator.explain(ip("10.1.2.3"));
        assertEquals("not configured", e.steps().get(0).finding());
        assertFalse(e.steps().stream().anyMatch(Explanation.Step::decided));
    }

    @Test
    void open_wrongDatabaseType_namesFile() throws IOException {
        Path city = LocateFixtures.cityDb(dir);
        IOException e = assertThrows(IOException.class,
                () -> ClientLocator.open(new LocatorConfig(null, city, null, null)));
        assertTrue(e.getMessage().startsWith(city + ": database type GeoLite2-City"), e.getMessage());
    }

    @Test
    void open_badLine_namesFileAndLine() throws IOException {
        Path lines = Files.writeString(dir.resolve("bad.txt"), "10.0.0.0/8 telecom SH\n10.1.0.1/16 unicom GD\n");
        IOException e = assertThrows(IOException.class,
                () -> ClientLocator.open(new LocatorConfig(null, null, lines, null)));
        assertTrue(e.getMessage().startsWith(lines + ":2: 10.1.0.1/16 has host bits set"), e.getMessage());
        Files.writeString(lines, "2001:db8::/32 satellite -\n");
        e = assertThrows(IOException.class, () -> ClientLocator.open(new LocatorConfig(null, null, lines, null)));
        assertTrue(e.getMessage().startsWith(lines + ":1: carrier satellite"), e.getMessage());
        Files.writeString(lines, "example.com/24 unicom GD\n");
        e = assertThrows(IOException.class, () -> ClientLocator.open(new LocatorConfig(null, null, lines, null)));
        assertTrue(e.getMessage().startsWith(lines + ":1: "), e.getMessage());
    }

    @Test
    void open_badCsvRow_namesFileAndLine() throws IOException {
        Path csv = Files.writeString(dir.resolve("asn.csv"),
                "10.0.0.0,10.0.0.255,4134,Chinanet\n10.1.0.0,10.0.0.0,1,x\n"); // end before start
        IOException e = assertThrows(IOException.class,
                () -> ClientLocator.open(new LocatorConfig(null, csv, null, null)));
        assertTrue(e.getMessage().startsWith(csv + ":2: "), e.getMessage());
    }

    /** The published ASN data has overlapping rows; the earlier one keeps the overlap, nothing is refused. */
    @Test
    void open_overlappingCsvRows_clipsTheLaterRow() throws IOException {
        Path csv = Files.writeString(dir.resolve("asn.csv"), """
                10.0.0.0,10.0.1.255,749,DoD A
                10.0.1.0,10.0.2.255,721,DoD B
                10.0.1.10,10.0.1.20,1,inside A
                """);
        try (ClientLocator locator = ClientLocator.open(new LocatorConfig(null, csv, null, null))) {
            assertEquals(Integer.valueOf(749), locator.locate(InetAddress.getByName("10.0.1.15")).asn());
            assertEquals(Integer.valueOf(721), locator.locate(InetAddress.getByName("10.0.2.0")).asn());
        }
    }
}
