package yunjing.origin.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * The BPE merge loop over one pre-tokenized piece. Follows tokenizers' {@code Word::merge_all}: a priority queue
 * of candidate pairs ordered by merge rank, then position, so the lowest-ranked pair merges first and ties go
 * left to right. That is O(n log n) in the piece length, which matters because one piece can be megabytes long
 * (a 20 MiB prompt of one "word").
 *
 * <p>Thread-safe: the tables are immutable after construction; the cache is concurrent.
 */
final class BpeModel {

    private static final int CACHE_MAX_ENTRIES = 50_000;
    private static final int CACHE_MAX_PIECE = 64;

    private final Map<String, Integer> vocab;
    /** (left id, right id) packed in a long → (rank, merged id) packed in a long. */
    private final Map<Long, Long> merges;
    private final int[] byteIds;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param byteIds the vocabulary id of each byte's byte-level character, indexed by byte value; the caller
     *                has checked that all 256 exist
     */
    BpeModel(Map<String, Integer> vocab, Map<Long, Long> merges, int[] byteIds, boolean ignoreMerges) {
        this.vocab = vocab;
        this.merges = merges;
        this.byteIds = byteIds;
        this.ignoreMerges = ignoreMerges;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Emits the ids of one piece of byte-level characters. */
    void encode(String piece, IntConsumer out) {
        if (ignoreMerges) {
            // Llama 3 sets ignore_merges: a piece that is itself a vocabulary entry is one token.
            Integer whole = vocab.get(piece);
            if (whole != null) {
                out.accept(whole);
                return;
            }
        }
        int[] cached = piece.length() <= CACHE_MAX_PIECE ? cache.get(piece) : null;
        if (cached == null) {
            cached = merge(piece);
            if (piece.length() <= CACHE_MAX_PIECE) {
                if (cache.size() >= CACHE_MAX_ENTRIES) {
                    cache.clear();
                }
                cache.put(piece, cached);
            }
        }
        for (int id : cached) {
            out.accept(id);
        }
    }

    private record Candidate(int rank, int pos, int mergedId) {}

    private int[] merge(String piece) {
        int n = piece.length();
        int[] ids = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteIds[ByteLevel.byteOf(piece.charAt(i))];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>(Math.max(1, n),
                (a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.pos, b.pos));
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, i, ids[i], ids[i + 1]);
        }
        int live = n;
        while (!queue.isEmpty()) {
            Candidate top = queue.poll();
            int right = next[top.pos];
            if (removed[top.pos] || right < 0) {
                continue;
            }
            // The pair may have changed since it was queued; only merge if it still produces the same token.
            Long current = merges.get(pair(ids[top.pos], ids[right]));
            if (current == null || (int) (current & 0xFFFFFFFFL) != top.mergedId) {
                continue;
            }
            ids[top.pos] = top.mergedId;
            removed[right] = true;
            live--;
            next[top.pos] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = top.pos;
            }
            if (prev[top.pos] >= 0) {
                offer(queue, prev[top.pos], ids[prev[top.pos]], ids[top.pos]);
            }
            if (next[top.pos] >= 0) {
                offer(queue, top.pos, ids[top.pos], ids[next[top.pos]]);
            }
        }
        int[] out = new int[live];
        int k = 0;
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            out[k++] = ids[i];
        }
        return k == live ? out : Arrays.copyOf(out, k);
    }

    private void offer(PriorityQueue<Candidate> queue, int pos, int left, int right) {
        Long m = merges.get(pair(left, right));
        if (m != null) {
            queue.add(new Candidate((int) (m >>> 32), pos, (int) (m & 0xFFFFFFFFL)));
        }
    }
}
