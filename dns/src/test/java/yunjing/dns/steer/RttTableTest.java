package yunjing.dns.steer;

import org.junit.jupiter.api.Test;
import yunjing.dns.locate.Location;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RttTableTest {

    private static final Location TELECOM_SH = new Location("CN", "SH", 4134, "Chinanet", "telecom", "asn-table", null);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RttTable table = new RttTable(address -> TELECOM_SH, now::get);

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void firstReport_setsTheAverage_inBothScopes() throws Exception {
        table.record("sh", ip("1.2.3.77"), 12.5, 40);
        assertEquals(12.5, table.rttMillis("p:1.2.3.0/24", "sh").getAsDouble(), 1e-9);
        assertEquals(12.5, table.rttMillis("cp:telecom|SH", "sh").getAsDouble(), 1e-9);
        assertFalse(table.rttMillis("p:1.2.4.0/24", "sh").isPresent());
        assertFalse(table.rttMillis("p:1.2.3.0/24", "gz").isPresent());
        assertEquals(2, table.size());
        assertTrue(table.hasPrefixEntries());
    }

    @Test
    void laterReports_moveTheAverageByTheirSampleWeight() throws Exception {
        table.record("sh", ip("1.2.3.0"), 10, 1);
        table.record("sh", ip("1.2.3.0"), 20, 1);
        assertEquals(10 + RttTable.ALPHA * 10, table.rttMillis("p:1.2.3.0/24", "sh").getAsDouble(), 1e-9);
        table.record("sh", ip("1.2.3.0"), 100, 1000); // capped at MAX_SAMPLES_PER_REPORT samples
        double w = 1 - Math.pow(1 - RttTable.ALPHA, RttTable.MAX_SAMPLES_PER_REPORT);
        double expected = 11 + w * (100 - 11);
        assertEquals(expected, table.rttMillis("p:1.2.3.0/24", "sh").getAsDouble(), 1e-9);
    }

    @Test
    void oldEntries_stopCounting_andARecentReportStartsAfresh() throws Exception {
        table.record("sh", ip("1.2.3.0"), 10, 5);
        now.addAndGet(RttTable.MAX_AGE_NANOS + TimeUnit.SECONDS.toNanos(1));
        assertFalse(table.rttMillis("p:1.2.3.0/24", "sh").isPresent());
        table.record("sh", ip("1.2.3.0"), 50, 1);
        assertEquals(50, table.rttMillis("p:1.2.3.0/24", "sh").getAsDouble(), 1e-9);
    }

    @Test
    void ipv6Clients_areScopedBy48() throws Exception {
        assertEquals("p:2001:db8:1:0:0:0:0:0/48", RttTable.prefixScope(ip("2001:db8:1:2::9")));
        assertEquals("p:10.2.9.0/24", RttTable.prefixScope(ip("10.2.9.200")));
    }

    @Test
    void areaScope_needsCarrierAndProvince() {
        assertEquals("cp:telecom|SH", RttTable.areaScope(TELECOM_SH));
        assertNull(RttTable.areaScope(Location.UNKNOWN));
        assertNull(RttTable.areaScope(null));
    }

    @Test
    void withoutLocator_onlyTheBlockIsKept() throws Exception {
        RttTable plain = new RttTable(null, now::get);
        plain.record("sh", ip("1.2.3.0"), 10, 1);
        assertEquals(1, plain.size());
    }

    @Test
    void bogusMeasurements_areRefused() throws Exception {
        InetAddress block = ip("1.2.3.0");
        assertThrows(IllegalArgumentException.class, () -> table.record("sh", block, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> table.record("sh", block, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> table.record("sh", block, 60_001, 1));
        assertThrows(IllegalArgumentException.class, () -> table.record("sh", block, 10, 0));
        assertEquals(0, table.size());
    }
}
