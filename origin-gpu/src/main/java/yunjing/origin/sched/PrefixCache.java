package yunjing.origin.sched;

import yunjing.origin.engine.InferenceEngine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Keeps the key/value caches of finished sequences so that a new prompt sharing their beginning starts from a
 * copy ({@link InferenceEngine#fork}) instead of prefilling it again: agent sessions resend the whole growing
 * conversation every turn. Only full blocks are kept, each named by a hash chain over the tokens of all blocks up
 * to it (vLLM's automatic prefix caching), so one lookup per block finds the longest cached prefix; the tokens
 * themselves are compared before a hit is believed, so a hash collision costs a miss, never wrong output.
 *
 * <p>Memory: an entry is an exact-size copy of the full blocks and holds them in the {@link BlockPool}; entries are evicted least recently used first
 * when the cache exceeds {@code maxBlocks} or the pool needs room for running sequences. An entry whose whole
 * chain is repeated by a newer, longer one (the previous turn of the same conversation) is dropped at once.
 *
 * <p>Confined to the scheduler thread.
 */
final class PrefixCache {

    /** A usable cached prefix: fork {@code tokens} positions of {@code entry.kv}. */
    record Hit(Entry entry, int tokens) {}

    static final class Entry {
        final InferenceEngine.Sequence kv;
        final int[] tokens;
        final long[] hashes;

        Entry(InferenceEngine.Sequence kv, int[] tokens, long[] hashes) {
            this.kv = kv;
            this.tokens = tokens;
            this.hashes = hashes;
        }

        int blocks() {
            return hashes.length;
        }
    }

    private final InferenceEngine engine;
    private final BlockPool pool;
    private final int blockSize;
    private final int maxBlocks;
    private final Map<Long, Entry> byHash = new HashMap<>();
    /** Least recently used first. */
    private final LinkedHashSet<Entry> lru = new LinkedHashSet<>();
    private volatile int blocks;

    PrefixCache(InferenceEngine engine, BlockPool pool, int blockSize, int maxBlocks) {
        this.engine = engine;
        this.pool = pool;
        this.blockSize = blockSize;
        this.maxBlocks = maxBlocks;
    }

    int blocks() {
        return blocks;
    }

    /**
     * The longest cached prefix of {@code tokens[0, length)} that leaves at least one token to prefill (the
     * logits of the last prompt token are needed), or null.
     */
    Hit lookup(int[] tokens, int length) {
        if (lru.isEmpty()) {
            return null;
        }
        long[] hashes = chain(tokens, (length - 1) / blockSize);
        for (int i = hashes.length - 1; i >= 0; i--) {
            Entry e = byHash.get(hashes[i]);
            int n = (i + 1) * blockSize;
            if (e != null && Arrays.equals(e.tokens, 0, n, tokens, 0, n)) {
                lru.remove(e);
                lru.add(e);
                return new Hit(e, n);
            }
        }
        return null;
    }

    /**
     * Offers a finished sequence's cache ({@code tokens[0, kv.length())} are its positions) holding
     * {@code heldBlocks} pool blocks. Returns how many of those blocks the caller must release: those of the
     * partial last block, or all of them when the cache does not keep it.
     */
    int offer(InferenceEngine.Sequence kv, int[] tokens, int heldBlocks) {
        int full = Math.min(kv.length() / blockSize, maxBlocks);
        if (full == 0) {
            return heldBlocks;
        }
        long[] hashes = chain(tokens, full);
        int n = full * blockSize;
        Entry same = byHash.get(hashes[full - 1]);
        if (same != null && same.blocks() >= full && Arrays.equals(same.tokens, 0, n, tokens, 0, n)) {
            lru.remove(same);
            lru.add(same);
            return heldBlocks; // already cached, as long or longer
        }
        for (int i = 0; i < full; i++) {
            Entry older = byHash.get(hashes[i]);
            int m = (i + 1) * blockSize;
            if (older != null && older.blocks() == i + 1 && Arrays.equals(older.tokens, 0, m, tokens, 0, m)) {
                remove(older); // the previous turn: everything it held is in the new entry too
            }
        }
        while (blocks + full > maxBlocks && evictOne(null)) {
            // make room under the cache's own bound
        }
        // Keep an exact-size copy of the full blocks: the sequence was sized for its whole max_tokens, and only
        // what the pool accounts for should stay in memory.
        Entry entry = new Entry(engine.fork(kv, n, n), Arrays.copyOf(tokens, n), hashes);
        for (long h : hashes) {
            byHash.put(h, entry);
        }
        lru.add(entry);
        blocks += full;
        return heldBlocks - full;
    }

    /** Evicts least recently used entries, never {@code keep}, until the pool has {@code needed} free blocks. */
    boolean makeRoom(int needed, Entry keep) {
        while (pool.free() < needed) {
            if (!evictOne(keep)) {
                return false;
            }
        }
        return true;
    }

    /** Drops every entry, returning their blocks to the pool. */
    void clear() {
        while (evictOne(null)) {
            // until empty
        }
    }

    private boolean evictOne(Entry keep) {
        Iterator<Entry> it = lru.iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (e != keep) {
                remove(e);
                return true;
            }
        }
        return false;
    }

    private void remove(Entry e) {
        if (!lru.remove(e)) {
            return;
        }
        for (long h : e.hashes) {
            byHash.remove(h, e);
        }
        blocks -= e.blocks();
        pool.release(e.blocks());
        e.kv.close();
    }

    /** Hashes of the first {@code count} blocks, each covering every token up to the end of its block. */
    private long[] chain(int[] tokens, int count) {
        long[] hashes = new long[count];
        long h = 0x9E3779B97F4A7C15L;
        for (int b = 0; b < count; b++) {
            for (int i = b * blockSize, end = i + blockSize; i < end; i++) {
                h = mix(h ^ tokens[i]);
            }
            hashes[b] = h;
        }
        return hashes;
    }

    /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
    private static long mix(long h) {
        h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CEB93FE51A85B3L;
        return h ^ (h >>> 33);
    }
}
