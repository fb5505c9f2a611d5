package yunjing.dns.steer;

import org.junit.jupiter.api.Test;
import yunjing.dns.DnsTarget;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RttPreferenceTest {

    private static DnsTarget target(String id, String ip) throws Exception {
        return new DnsTarget(id, InetAddress.getByName(ip), "SH", "telecom", 1, null);
    }

    @Test
    void firstChoice_isTheFastest() throws Exception {
        DnsTarget a = target("a", "127.0.0.41");
        DnsTarget b = target("b", "127.0.0.44");
        RttPreference p = new RttPreference();
        assertEquals(b, p.choose("k", List.of(a, b), new double[] {40, 10}));
    }

    @Test
    void aChallenger_mustBeTwentyPercentAndFiveMillisecondsFaster() throws Exception {
        DnsTarget a = target("a", "127.0.0.41");
        DnsTarget b = target("b", "127.0.0.44");
        RttPreference p = new RttPreference();
        assertEquals(a, p.choose("k", List.of(a, b), new double[] {10, 12}));
        assertEquals(a, p.choose("k", List.of(a, b), new double[] {10, 8.5}), "15 % faster: no flap");
        assertEquals(a, p.choose("k", List.of(a, b), new double[] {10, 7.9}), "21 % but only 2.1 ms faster");
        assertEquals(a, p.choose("k", List.of(a, b), new double[] {40, 33}), "7 ms but only 17.5 % faster");
        assertEquals(b, p.choose("k", List.of(a, b), new double[] {40, 30}), "25 % and 10 ms faster: takes over");
        assertEquals(b, p.choose("k", List.of(a, b), new double[] {28, 30}), "and now holds in turn");
    }

    @Test
    void keysAreIndependent_andAVanishedHolderIsReplaced() throws Exception {
        DnsTarget a = target("a", "127.0.0.41");
        DnsTarget b = target("b", "127.0.0.44");
        DnsTarget c = target("c", "127.0.0.45");
        RttPreference p = new RttPreference();
        assertEquals(a, p.choose("k1", List.of(a, b), new double[] {10, 12}));
        assertEquals(b, p.choose("k2", List.of(a, b), new double[] {12, 10}));
        assertEquals(c, p.choose("k1", List.of(b, c), new double[] {12, 11}), "a is no longer measured");
    }

    @Test
    void beats_isStrictAboutBothMargins() {
        assertTrue(RttPreference.beats(24, 30));
        assertFalse(RttPreference.beats(24.1, 30));
        assertTrue(RttPreference.beats(80, 100));
        assertFalse(RttPreference.beats(4, 8.9));
    }
}
