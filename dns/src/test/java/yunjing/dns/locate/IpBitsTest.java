package yunjing.dns.locate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IpBitsTest {

    private static byte[] b(String literal) {
        return IpBits.parseLiteral(literal).getAddress();
    }

    @Test
    void widestBlockWithin_alignedRange_isItsPrefix() {
        assertEquals(16, IpBits.widestBlockWithin(b("10.1.2.3"), b("10.1.0.0"), b("10.1.255.255")));
        assertEquals(0, IpBits.widestBlockWithin(b("10.1.2.3"), b("0.0.0.0"), b("255.255.255.255")));
    }

    @Test
    void widestBlockWithin_unalignedRange_isLargestBlockInside() {
        // 10.0.0.5–10.0.0.20: around .9 the widest block inside is 10.0.0.8/29 (.8–.15).
        assertEquals(29, IpBits.widestBlockWithin(b("10.0.0.9"), b("10.0.0.5"), b("10.0.0.20")));
        assertEquals(32, IpBits.widestBlockWithin(b("10.0.0.5"), b("10.0.0.5"), b("10.0.0.20")));
    }

    @Test
    void commonPrefix_countsLeadingEqualBits() {
        assertEquals(20, IpBits.commonPrefix(b("10.2.9.9"), b("10.2.3.0")));
        assertEquals(128, IpBits.commonPrefix(b("2001:db8::1"), b("2001:db8::1")));
    }

    @Test
    void nextAndPrevious_carryAcrossBytes() {
        assertArrayEquals(b("10.1.0.0"), IpBits.next(b("10.0.255.255")));
        assertArrayEquals(b("10.0.255.255"), IpBits.previous(b("10.1.0.0")));
        assertNull(IpBits.next(b("255.255.255.255")));
        assertNull(IpBits.previous(b("0.0.0.0")));
    }

    @Test
    void parseLiteral_neverResolvesNames() {
        assertThrows(IllegalArgumentException.class, () -> IpBits.parseLiteral("example.com"));
        assertThrows(IllegalArgumentException.class, () -> IpBits.parseLiteral("10.1"));
        assertThrows(IllegalArgumentException.class, () -> IpBits.parseLiteral("dead"));
    }
}
