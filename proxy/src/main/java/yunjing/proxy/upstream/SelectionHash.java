package yunjing.proxy.upstream;

import java.nio.charset.StandardCharsets;

/**
 * The 64-bit hashes behind rendezvous hashing: FNV-1a over the UTF-8 bytes, then the SplitMix64
 * finalizer, so that keys differing in one character spread over all 64 bits. Not cryptographic:
 * a client choosing keys to load one parent is bounded by the load limit, not by the hash.
 */
final class SelectionHash {

    private SelectionHash() {
    }

    static long of(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** The rendezvous weight of a key on a parent: the highest weight wins the key. */
    static long weight(long keyHash, long parentHash) {
        return mix(keyHash ^ parentHash);
    }

    /** SplitMix64's finalizer (Steele, Lea, Flood 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
