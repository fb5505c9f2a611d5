package yunjing.dns.zone;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import yunjing.dns.testing.TestZone;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

class ZoneLoaderTest {

    private static final Name ORIGIN = name("mirror.test.");

    @TempDir
    Path dir;

    private ZoneData load(String masterFile) throws IOException {
        Path file = masterFile == null ? null : Files.writeString(dir.resolve("z.zone"), masterFile);
        return ZoneLoader.load(ORIGIN, List.of(name("api.mirror.test.")),
                List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")), file, 1_700_000_000L);
    }

    @Test
    void generatesSoaNsAndNameserverAddresses() throws IOException {
        ZoneData zone = load(null);
        SOARecord soa = zone.soa();
        assertEquals(name("ns1.mirror.test."), soa.getHost());
        assertEquals(name("hostmaster.mirror.test."), soa.getAdmin());
        assertEquals(1_700_000_000L, soa.getSerial());
        assertEquals(30, soa.getMinimum());
        assertEquals(30, zone.negativeTtl(), "min(SOA TTL, MINIMUM), RFC 2308 section 3");
        assertNotNull(zone.rrset(ORIGIN, Type.NS));
        assertEquals(1, zone.rrset(name("ns1.mirror.test."), Type.A).size());
        assertEquals(1, zone.rrset(name("ns1.mirror.test."), Type.AAAA).size());
        assertTrue(zone.isSteered(name("API.mirror.TEST.")), "lookups ignore case");
        assertTrue(zone.exists(name("api.mirror.test.")));
        assertFalse(zone.exists(name("nope.mirror.test.")));
    }

    @Test
    void readsMasterFileRecordsRelativeToTheZone() throws IOException {
        ZoneData zone = TestZone.load(dir);
        RRset txt = zone.rrset(ORIGIN, Type.TXT);
        assertEquals(List.of("v=yunjing1"), ((TXTRecord) txt.first()).getStrings());
        assertEquals(300, txt.getTTL());
        assertNotNull(zone.rrset(ORIGIN, Type.CAA));
        assertNotNull(zone.rrset(name("www.mirror.test."), Type.CNAME));
    }

    @Test
    void namesAboveRecordsExistAsEmptyNonTerminals() throws IOException {
        ZoneData zone = TestZone.load(dir);
        assertTrue(zone.exists(name("ent.mirror.test.")), "RFC 8020: ent has a descendant");
        assertNull(zone.rrset(name("ent.mirror.test."), Type.A));
    }

    @Test
    void syntaxErrorNamesFileAndLine() {
        IOException e = assertThrows(IOException.class, () -> load("""
                $TTL 300
                ok   IN TXT "fine"
                bad  IN A   1.2.3
                """));
        assertTrue(e.getMessage().startsWith(dir.resolve("z.zone") + ":3:"), e.getMessage());
    }

    @Test
    void missingFileNamesTheFile() {
        Path missing = dir.resolve("missing.zone");
        IOException e = assertThrows(IOException.class,
                () -> ZoneLoader.load(ORIGIN, List.of(), List.of(InetAddress.getLoopbackAddress()), missing, 1));
        assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
    }

    @Test
    void recordOutsideTheZoneIsRejected() {
        IOException e = assertThrows(IOException.class, () -> load("other.example. 300 IN A 192.0.2.1\n"));
        assertTrue(e.getMessage().contains("outside the zone"), e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("z.zone") + ": "), e.getMessage());
    }

    @Test
    void cnameBesideOtherDataIsRejected() {
        IOException e = assertThrows(IOException.class, () -> load("""
                x 300 IN CNAME api
                x 300 IN TXT "no"
                """));
        assertTrue(e.getMessage().contains("RFC 1034 section 3.6.2"), e.getMessage());
    }

    @Test
    void addressRecordsAtSteeredNameAreRejected() {
        IOException e = assertThrows(IOException.class, () -> load("api 300 IN A 192.0.2.1\n"));
        assertTrue(e.getMessage().contains("steered"), e.getMessage());
    }

    @Test
    void soaDelegationAndWildcardAreRejected() {
        assertThrows(IOException.class, () -> load("@ 300 IN SOA a. b. 1 2 3 4 5\n"));
        assertThrows(IOException.class, () -> load("sub 300 IN NS ns.elsewhere.\n"));
        assertThrows(IOException.class, () -> load("* 300 IN A 192.0.2.1\n"));
    }

    @Test
    void extraApexNameserversJoinTheGeneratedOne() throws IOException {
        ZoneData zone = load("@ 300 IN NS ns2.elsewhere.example.\n");
        assertEquals(2, zone.rrset(ORIGIN, Type.NS).size());
    }
}
