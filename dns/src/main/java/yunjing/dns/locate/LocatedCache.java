package yunjing.dns.locate;

/**
 * Remembers lookups by the block their answer holds for, so the hot path skips the GeoIP and ASN
 * searches for clients in a block it has seen (profiling under dnsperf showed the MMDB record
 * decoding and the ASN binary search taking about two thirds of the event loop's time).
 *
 * <p>A {@link ClientLocator.Located} says its location is the same across the whole aligned block
 * of {@code prefixLength} around the address. Such an answer is stored under the coarsest probe
 * level that lies inside that block (IPv4 /16, /20, /24; IPv6 /32, /40, /48), and a lookup probes
 * each level: any hit is exactly what the full lookup would have returned, scope included. Answers
 * narrower than the finest level (an operator line of a /28, say) are not cached.
 *
 * <p>Direct-mapped and bounded ({@value #SLOTS} slots; a collision just replaces the older entry).
 * Thread-safe without locks: slots hold immutable {@link Entry} objects, whose final fields make a
 * racy publication safe (JLS 17.5); a reader sees either an entry or null, both correct.
 */
final class LocatedCache {

    static final int SLOTS = 1 << 18;
    private static final int[] V4_LEVELS = {16, 20, 24};
    private static final int[] V6_LEVELS = {32, 40, 48};

    private record Entry(long key, ClientLocator.Located located) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** The cached answer for {@code address} (4 or 16 bytes), or null. */
    ClientLocator.Located get(byte[] address) {
        int[] levels = address.length == 4 ? V4_LEVELS : V6_LEVELS;
        for (int level : levels) {
            long key = key(address, level);
            Entry e = slots[index(key)];
            if (e != null && e.key == key) {
                return e.located;
            }
        }
        return null;
    }

    void put(byte[] address, ClientLocator.Located located) {
        int[] levels = address.length == 4 ? V4_LEVELS : V6_LEVELS;
        for (int level : levels) {
            if (located.prefixLength() <= level) {
                long key = key(address, level);
                slots[index(key)] = new Entry(key, located);
                return;
            }
        }
    }

    /** Level, family and the first {@code level} bits (at most 48) of the address, in one long. */
    static long key(byte[] address, int level) {
        long bits = 0;
        for (int i = 0; i < 6 && i < address.length; i++) {
            bits = (bits << 8) | (address[i] & 0xFF);
        }
        int have = Math.min(6, address.length) * 8;
        bits >>>= have - level;
        return ((long) level << 49) | (address.length == 16 ? 1L << 48 : 0) | bits;
    }

    private static int index(long key) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads neighbouring blocks
        return (int) (h >>> (64 - Integer.numberOfTrailingZeros(SLOTS)));
    }
}
