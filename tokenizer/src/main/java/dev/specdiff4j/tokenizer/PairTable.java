package dev.specdiff4j.tokenizer;

import java.util.Arrays;

/**
 * An open-addressing hash map from a pair of token ids to its merge: the rank (lower merges first) and
 * the id of the merged token. Primitive keys and values keep the BPE inner loop free of boxing.
 */
final class PairTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    PairTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Stores a merge unless the pair already has one with a lower rank. */
    void putIfLower(int left, int right, int rank, int merged) {
        long key = key(left, right);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                if (rank < (int) (values[i] >>> 32)) values[i] = pack(rank, merged);
                return;
            }
            i = (i + 1) & mask;
        }
        if (size + 1 > keys.length * 3 / 4) throw new IllegalStateException("pair table over capacity");
        keys[i] = key;
        values[i] = pack(rank, merged);
        size++;
    }

    /** The packed (rank, merged id) for the pair, or -1 when the pair never merges. */
    long get(int left, int right) {
        long key = key(left, right);
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return -1L;
            i = (i + 1) & mask;
        }
    }

    static long pack(int rank, int merged) {
        return ((long) rank << 32) | (merged & 0xFFFFFFFFL);
    }

    static int rank(long packed) {
        return (int) (packed >>> 32);
    }

    static int merged(long packed) {
        return (int) packed;
    }

    int size() {
        return size;
    }
}
