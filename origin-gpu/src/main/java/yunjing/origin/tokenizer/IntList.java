package yunjing.origin.tokenizer;

import java.util.Arrays;

/** A growable int array, so that encoding a long prompt does not box every token id. */
final class IntList {
    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(1, capacity)];
    }

    void add(int v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
