package yunjing.dns.locate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AsnCarrierTableTest {

    @TempDir
    Path dir;

    private final AsnCarrierTable table = AsnCarrierTable.defaults();

    @Test
    void defaults_carrierAsns() {
        for (int asn : new int[] {4134, 4809, 4812, 23764}) {
            assertEquals("telecom", table.carrierOf(asn), "AS" + asn);
        }
        for (int asn : new int[] {4837, 4808, 9929, 10099}) {
            assertEquals("unicom", table.carrierOf(asn), "AS" + asn);
        }
        for (int asn : new int[] {9808, 56040, 56044, 56048, 58453}) {
            assertEquals("mobile", table.carrierOf(asn), "AS" + asn);
        }
        for (int asn : new int[] {4538, 23910, 24206}) {
            assertEquals("edu", table.carrierOf(asn), "AS" + asn);
        }
        assertNull(table.carrierOf(13335));
        assertNull(table.carrierOf(4_200_000_000L));
    }

    @Test
    void defaults_provincialAsns() {
        assertEquals("SH", table.provinceOf(4812));
        assertEquals("BJ", table.provinceOf(4808));
        assertEquals("GD", table.provinceOf(56040));
        assertNull(table.provinceOf(4134)); // the national backbone names no province
    }

    @Test
    void defaults_organisationPatterns() {
        assertEquals("telecom", table.carrierOfOrg("CHINANET-BACKBONE No.31,Jin-rong Street"));
        assertEquals("telecom", table.carrierOfOrg("China Telecom (Group)"));
        assertEquals("unicom", table.carrierOfOrg("CNCGROUP China169 Backbone"));
        assertEquals("mobile", table.carrierOfOrg("China Mobile Communications Group Co., Ltd."));
        assertEquals("mobile", table.carrierOfOrg("CMNET-GUANGDONG-AP"));
        assertEquals("edu", table.carrierOfOrg("CERNET2 IX at Tsinghua"));
        assertNull(table.carrierOfOrg("CHINANETCENTER Ltd.")); // Wangsu's CDN, not China Telecom
        assertNull(table.carrierOfOrg("CLOUDFLARENET"));
        assertNull(table.carrierOfOrg(null));
    }

    @Test
    void load_overridesAddToDefaults() throws IOException {
        Path file = Files.writeString(dir.resolve("carriers.txt"), """
                # local additions
                AS64512 unicom GD
                AS4134 telecom -     # unchanged, no province
                org mobile (?i)tietong
                """);
        AsnCarrierTable t = AsnCarrierTable.load(file);
        assertEquals("unicom", t.carrierOf(64512));
        assertEquals("GD", t.provinceOf(64512));
        assertEquals("mobile", t.carrierOfOrg("China Tietong"));
        assertEquals("telecom", t.carrierOf(4812));
        assertEquals("unicom", t.carrierOfOrg("CHINA UNICOM"));
    }

    @Test
    void load_badLine_namesFileAndLine() throws IOException {
        Path file = Files.writeString(dir.resolve("carriers.txt"), "AS1 telecom\nAS2 satellite\n");
        IOException e = assertThrows(IOException.class, () -> AsnCarrierTable.load(file));
        assertTrue(e.getMessage().startsWith(file + ":2: carrier satellite"), e.getMessage());
    }
}
