package dev.specdiff4j.tokenizer;

import java.util.Arrays;

/** A growable int array. */
final class IntList {
    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, values.length * 2);
        values[size++] = v;
    }

    void addAll(int[] vs) {
        if (size + vs.length > values.length) values = Arrays.copyOf(values, Math.max(values.length * 2, size + vs.length));
        System.arraycopy(vs, 0, values, size, vs.length);
        size += vs.length;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
