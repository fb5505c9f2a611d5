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
 * <p>Bounded and {@value #WAYS}-way set-associative ({@value #SLOTS} slots): a key may sit in any of
 * the {@value #WAYS} slots of its set, so blocks whose keys hash alike do not keep evicting each other
 * (direct-mapped, a working set of 47 000 client /24s under dnsperf still missed 6 % of lookups; with
 * four ways, only the answers narrower than the finest level miss, which are never stored). A full
 * set replaces the slot the key's hash picks. Any probe level may answer, so the finest level, where
 * most answers sit, is probed first.
 *
 * <p>Thread-safe without locks: slots hold immutable {@link Entry} objects, whose final fields make a
 * racy publication safe (JLS 17.5); a reader sees either an entry or null, both correct. Two racing
 * writers may store the same key twice in a set; both copies are correct, and one ages out.
 */
final class LocatedCache {

    static final int SLOTS = 1 << 18;
    static final int WAYS = 4;
    private static final int SET_BITS = Integer.numberOfTrailingZeros(SLOTS / WAYS);
    /** Finest first: most client blocks are stored at /24 (/48). */
    private static final int[] V4_LEVELS = {24, 20, 16};
    private static final int[] V6_LEVELS = {48, 40, 32};

    private record Entry(long key, ClientLocator.Located located) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** The cached answer for {@code address} (4 or 16 bytes), or null. */
    ClientLocator.Located get(byte[] address) {
        int[] levels = address.length == 4 ? V4_LEVELS : V6_LEVELS;
        for (int level : levels) {
            long key = key(address, level);
            long h = hash(key);
            int set = set(h);
            for (int way = 0; way < WAYS; way++) {
                Entry e = slots[set + way];
                if (e != null && e.key == key) {
                    return e.located;
                }
            }
        }
        return null;
    }

    void put(byte[] address, ClientLocator.Located located) {
        int[] levels = address.length == 4 ? V4_LEVELS : V6_LEVELS;
        // The coarsest level that lies inside the answer's block: one entry serves the most addresses.
        for (int i = levels.length - 1; i >= 0; i--) {
            int level = levels[i];
            if (located.prefixLength() <= level) {
                long key = key(address, level);
                long h = hash(key);
                int set = set(h);
                int victim = set + ((int) (h >>> 32) & (WAYS - 1));
                for (int way = 0; way < WAYS; way++) {
                    Entry e = slots[set + way];
                    if (e == null || e.key == key) {
                        victim = set + way;
                        break;
                    }
                }
                slots[victim] = new Entry(key, located);
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

    private static long hash(long key) {
        return key * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads neighbouring blocks
    }

    /** The first slot of {@code key}'s set (tests). */
    static int setOf(long key) {
        return set(hash(key));
    }

    /** The first slot of the key's set: the hash's top bits pick the set. */
    private static int set(long hash) {
        return (int) (hash >>> (64 - SET_BITS)) * WAYS;
    }
}
