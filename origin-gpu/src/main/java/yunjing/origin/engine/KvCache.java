package yunjing.origin.engine;

/**
 * Keys (after RoPE) and values of every position seen so far, per layer, laid out {@code [position][kvDim]}.
 * Sized once for the request (prompt + max new tokens), so decoding never reallocates.
 * Confined to the thread running its sequence.
 */
final class KvCache {

    final float[][] keys;
    final float[][] values;
    final int capacity;
    private final int kvDim;
    int length;

    KvCache(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new float[layers][capacity * kvDim];
        values = new float[layers][capacity * kvDim];
    }

    int offset(int position) {
        return position * kvDim;
    }
}
