package yunjing.dns.locate;

import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Remembers lookups by the block their answer holds for, so the hot path skips the GeoIP and ASN
 * searches for clients in a block it has seen (profiling under dnsperf showed the MMDB record
 * decoding and the ASN binary search taking about two thirds of the event loop's time).
 *
 * <p>A {@link ClientLocator.Located} says its location is the same across the whole aligned block
 * of {@code prefixLength} around the address. Such an answer is stored under the coarsest probe
 * level that lies inside that block (IPv4 /16, /20, /24, /32; IPv6 /32, /40, /48), and a lookup probes
 * each level: any hit is exactly what the full lookup would have returned, scope included. IPv6
 * answers narrower than /48 are not cached. (Under the benchmark's queries, 0.44 % of answers were
 * narrower than /24: looked up in full every time, they took 2 % of the server's CPU, so IPv4 keeps
 * them per address.)
 *
 * <p>Bounded and {@value #WAYS}-way set-associative ({@value #SLOTS} slots): a key may sit in any of
 * the {@value #WAYS} slots of its set, so blocks whose keys hash alike do not keep evicting each other
 * (direct-mapped, a working set of 47 000 client /24s under dnsperf still missed 6 % of lookups; with
 * four ways, nothing missed after the first pass). A full
 * set replaces the slot the key's hash picks. Any probe level may answer, so the finest level, where
 * most answers sit, is probed first.
 *
 * <p>Memory layout for the hot path: a slot is two longs, its key and the index of its answer in a
 * small table of distinct answers, so probing a set reads 64 consecutive bytes and a hit reads one
 * answer that is almost always in the CPU's cache. With a key and an answer object per slot, a lookup
 * that probed three levels touched up to twelve scattered objects: 8 % of the server's CPU under
 * dnsperf once UDP I/O was batched.
 *
 * <p>Thread-safe, readers without locks: a writer (serialised) clears a slot's key, then writes the
 * index, then the new key, with store-store fences; a reader reads key, index, key again with load-load
 * fences between, and uses the index only if the key matched both times. Answers are appended (never
 * changed) to an array published through a volatile field before any slot names them;
 * {@link ClientLocator.Located} is immutable. When the index of answers is full ({@value #MAX_ANSWERS}
 * distinct answers seen since the last start-over), the cache empties itself and starts over, so its
 * memory stays bounded however many distinct answers a long run sees.
 */
final class LocatedCache {

    static final int SLOTS = 1 << 18;
    static final int WAYS = 4;
    private static final int SET_BITS = Integer.numberOfTrailingZeros(SLOTS / WAYS);
    /**
     * Probe order: /24 (/48) first, where most client blocks are stored, then coarser; an IPv4 answer
     * narrower than /24 (an operator line of a /28, a small GeoIP block) is kept for its one address,
     * probed last. IPv6 addresses are not kept singly (a key holds at most 48 bits).
     */
    private static final int[] V4_PROBES = {24, 20, 16, 32};
    private static final int[] V6_PROBES = {48, 40, 32};
    /** Store order: coarsest first, so an answer is stored at the coarsest level inside its block. */
    private static final int[] V4_STORES = {16, 20, 24, 32};
    private static final int[] V6_STORES = {32, 40, 48};

    /**
     * The most distinct answers (location × block size) the cache indexes: as many as it has slots, so
     * a full index means most of them are no longer in any slot; the cache then starts over.
     */
    static final int MAX_ANSWERS = SLOTS;

    /** Per slot, its key then its answer's index: a set's four ways are 64 consecutive bytes. 0 is never a key. */
    private final long[] table = new long[SLOTS * 2];
    private final Map<ClientLocator.Located, Integer> answerIndex = new HashMap<>(); // guarded by this
    private volatile ClientLocator.Located[] answers = new ClientLocator.Located[64];
    private int answerCount; // guarded by this

    /** The cached answer for {@code address} (4 or 16 bytes), or null. */
    ClientLocator.Located get(byte[] address) {
        // The answers as of now, read before any slot: an index read later names an answer of this
        // array or of a newer one (then out of this array's bounds or null here: a miss, never a wrong answer).
        ClientLocator.Located[] known = answers;
        for (int level : address.length == 4 ? V4_PROBES : V6_PROBES) {
            long key = key(address, level);
            int set = set(hash(key));
            for (int at = set * 2; at < (set + WAYS) * 2; at += 2) {
                if (table[at] == key) {
                    // A racing put may pair a new key with another index for a moment: read the index,
                    // then the key again, and trust the pair only if the key held meanwhile.
                    VarHandle.loadLoadFence();
                    int index = (int) table[at + 1];
                    VarHandle.loadLoadFence();
                    if (table[at] == key && index < known.length && known[index] != null) {
                        return known[index];
                    }
                }
            }
        }
        return null;
    }

    void put(byte[] address, ClientLocator.Located located) {
        // The coarsest level that lies inside the answer's block: one entry serves the most addresses.
        for (int level : address.length == 4 ? V4_STORES : V6_STORES) {
            if (located.prefixLength() <= level) {
                long key = key(address, level);
                long h = hash(key);
                int set = set(h);
                synchronized (this) { // writers are rare (one per new block); readers take no lock
                    int index = indexOf(located);
                    if (index < 0) {
                        clear(); // index full: start over (a reader racing this misses, or finds an old, still valid answer)
                        index = indexOf(located);
                    }
                    int victim = set + ((int) (h >>> 32) & (WAYS - 1));
                    for (int way = set; way < set + WAYS; way++) {
                        if (table[way * 2] == 0 || table[way * 2] == key) {
                            victim = way;
                            break;
                        }
                    }
                    table[victim * 2] = 0;         // readers of this slot miss from here ...
                    VarHandle.storeStoreFence();
                    table[victim * 2 + 1] = index;
                    VarHandle.storeStoreFence();
                    table[victim * 2] = key;       // ... to here
                }
                return;
            }
        }
    }

    /** Empties every slot and the index of answers. Caller holds the lock. */
    private void clear() {
        Arrays.fill(table, 0);
        answerIndex.clear();
        answers = new ClientLocator.Located[64];
        answerCount = 0;
    }

    /** The answer's index, added if new (published before any slot names it); -1 when the index is full. */
    private int indexOf(ClientLocator.Located located) {
        Integer known = answerIndex.get(located);
        if (known != null) {
            return known;
        }
        if (answerCount == MAX_ANSWERS) {
            return -1;
        }
        ClientLocator.Located[] now = answers;
        if (answerCount == now.length) {
            now = Arrays.copyOf(now, now.length * 2);
        }
        now[answerCount] = located;
        answers = now; // volatile write: a reader that sees an index sees its answer (the slot is written after)
        answerIndex.put(located, answerCount);
        return answerCount++;
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
