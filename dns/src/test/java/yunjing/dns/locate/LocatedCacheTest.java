package yunjing.dns.locate;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class LocatedCacheTest {

    private static final Location SH = new Location("CN", "SH", 4812, "China Telecom", "telecom", "asn-table", null);

    private static byte[] ip(String literal) throws Exception {
        return InetAddress.getByName(literal).getAddress();
    }

    @Test
    void answerOfA16_servesEveryAddressOfThatBlock_andNoOther() throws Exception {
        LocatedCache cache = new LocatedCache();
        ClientLocator.Located located = new ClientLocator.Located(SH, 14);
        cache.put(ip("101.80.1.2"), located);
        assertSame(located, cache.get(ip("101.80.255.1")));
        assertSame(located, cache.get(ip("101.80.0.0")));
        assertNull(cache.get(ip("101.81.0.1")), "a /14 answer is stored for its /16 only");
    }

    @Test
    void answerOfA22_isKeptPer24() throws Exception {
        LocatedCache cache = new LocatedCache();
        ClientLocator.Located located = new ClientLocator.Located(SH, 22);
        cache.put(ip("58.248.3.9"), located);
        assertSame(located, cache.get(ip("58.248.3.200")));
        assertNull(cache.get(ip("58.248.2.1")));
    }

    @Test
    void ipv4AnswerNarrowerThan24_isKeptForItsAddressOnly_ipv6NarrowerThan48_notAtAll() throws Exception {
        LocatedCache cache = new LocatedCache();
        ClientLocator.Located narrow = new ClientLocator.Located(SH, 28);
        cache.put(ip("10.1.2.3"), narrow);
        assertSame(narrow, cache.get(ip("10.1.2.3")));
        assertNull(cache.get(ip("10.1.2.4")), "another address of the /28 may be of another /29 or /32 block");
        assertNull(cache.get(ip("10.1.2.0")));
        cache.put(ip("2001:db8:1::1"), new ClientLocator.Located(SH, 56));
        assertNull(cache.get(ip("2001:db8:1::1")));
    }

    @Test
    void ipv6_isKeptPer48_andNeverMatchesIpv4() throws Exception {
        LocatedCache cache = new LocatedCache();
        ClientLocator.Located located = new ClientLocator.Located(SH, 48);
        cache.put(ip("240e:1:2::1"), located);
        assertSame(located, cache.get(ip("240e:1:2:ffff::9")));
        assertNull(cache.get(ip("240e:1:3::1")));
        assertNotEquals(LocatedCache.key(ip("0.0.0.0"), 16), LocatedCache.key(ip("::"), 16));
    }

    @Test
    void blocksWhoseKeysShareASet_allStayCached() throws Exception {
        LocatedCache cache = new LocatedCache();
        // Find WAYS /24s (prefix 24: stored at /24) whose keys fall into the same set.
        int set = LocatedCache.setOf(LocatedCache.key(ip("1.0.0.0"), 24));
        java.util.List<byte[]> same = new java.util.ArrayList<>();
        for (int i = 0; same.size() < LocatedCache.WAYS; i++) {
            byte[] a = {(byte) (i >>> 16), (byte) (i >>> 8), (byte) i, 0};
            if (LocatedCache.setOf(LocatedCache.key(a, 24)) == set) {
                same.add(a);
            }
        }
        java.util.List<ClientLocator.Located> stored = new java.util.ArrayList<>();
        for (byte[] a : same) {
            // Distinct answers (all stored at /24), so a hit in the wrong way would show.
            ClientLocator.Located located = new ClientLocator.Located(SH, 21 + stored.size());
            cache.put(a, located);
            stored.add(located);
        }
        for (int i = 0; i < same.size(); i++) {
            assertEquals(stored.get(i), cache.get(same.get(i)), "block " + i + " of the shared set");
        }
    }

    @Test
    void pastMaxDistinctAnswers_theCacheStartsOver() throws Exception {
        LocatedCache cache = new LocatedCache();
        byte[] first = {10, 0, 0, 0};
        ClientLocator.Located kept = new ClientLocator.Located(new Location("CN", "P0", 0, "AS0", null, "test"), 24);
        cache.put(first, kept);
        byte[] second = {10, 0, 1, 0};
        cache.put(second, kept); // a known answer takes a slot, not an index
        for (int i = 1; i < LocatedCache.MAX_ANSWERS; i++) { // distinct answers: the index fills up
            cache.put(new byte[] {11, (byte) (i >>> 16), (byte) (i >>> 8), 0},
                    new ClientLocator.Located(new Location("CN", "P" + i, i, "AS" + i, null, "test"), 24));
        }
        byte[] late = {12, 0, 0, 0};
        ClientLocator.Located lateAnswer = new ClientLocator.Located(new Location("CN", "late", -1, "late", null, "test"), 24);
        cache.put(late, lateAnswer);
        assertEquals(lateAnswer, cache.get(late), "cached after starting over");
        assertNull(cache.get(first), "everything before was dropped");
        assertNull(cache.get(second));
    }
}
