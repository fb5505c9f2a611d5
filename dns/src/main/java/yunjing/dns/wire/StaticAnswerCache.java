package yunjing.dns.wire;

import org.xbill.DNS.Name;
import yunjing.dns.answer.Responder;

import java.util.Arrays;

/**
 * Encoded UDP answers that depend on nothing but the query's bytes and the zone: the apex SOA and NS,
 * {@code ns1}, master-file records, NXDOMAIN and NODATA. Two queries whose bytes are equal after the
 * ID get byte-equal responses from the general path, apart from the ID, as long as no steered name
 * was answered (steering reads the source, health, RTT and rotations) and the {@link Responder} is the
 * same: so a hit returns a copy with the query's ID written in, and the rest (the name's case, the
 * OPT, an ECS echo with scope 0, TC) is already what a fresh computation writes. {@link QueryProcessor}
 * stores only replies without a steering decision, made without an exception.
 *
 * <p>Invalidation: each entry remembers the {@link Responder} (one per zone generation) that made it,
 * and a lookup under another one misses; a reload swaps the responder, so no answer outlives its zone.
 * Health and RTT changes touch only steered answers, which are never stored.
 *
 * <p>Bounded: direct-mapped, {@value #SLOTS} slots, queries of at most {@value #MAX_QUERY} bytes; a
 * flood of distinct names only replaces entries. Thread-safe without locks: slots hold immutable
 * entries (final fields, JLS 17.5), and every hit returns a fresh array the caller owns.
 */
final class StaticAnswerCache {

    static final int SLOTS = 4096;
    static final int MAX_QUERY = 300;

    /**
     * @param query    the query without its 2-byte ID
     * @param response the response, ID included (overwritten on every hit)
     * @param name     the question's name when it exists in the zone, for per-name metrics, else null
     */
    record Entry(Responder responder, byte[] query, byte[] response, int rcode, int qtype, Name name,
            boolean truncated) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** The entry for {@code in} made by {@code responder}, or null. */
    Entry get(byte[] in, Responder responder) {
        if (in.length < 2 || in.length - 2 > MAX_QUERY) {
            return null;
        }
        Entry e = slots[index(in)];
        if (e == null || e.responder != responder
                || !Arrays.equals(e.query, 0, e.query.length, in, 2, in.length)) {
            return null;
        }
        return e;
    }

    /** The cached response with the ID of {@code in}. */
    static byte[] answer(Entry e, byte[] in) {
        byte[] out = e.response.clone();
        out[0] = in[0];
        out[1] = in[1];
        return out;
    }

    void put(byte[] in, Responder responder, byte[] response, int rcode, int qtype, Name name, boolean truncated) {
        if (in.length < 2 || in.length - 2 > MAX_QUERY || response.length < 2) {
            return;
        }
        slots[index(in)] = new Entry(responder, Arrays.copyOfRange(in, 2, in.length), response.clone(), rcode, qtype,
                name, truncated);
    }

    /** A hash of everything after the ID. */
    private static int index(byte[] in) {
        int h = 1;
        for (int i = 2; i < in.length; i++) {
            h = 31 * h + in[i];
        }
        h *= 0x9E3779B9;
        return h >>> (32 - Integer.numberOfTrailingZeros(SLOTS));
    }
}
