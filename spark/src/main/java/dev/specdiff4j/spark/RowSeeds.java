package dev.specdiff4j.spark;

import java.nio.charset.StandardCharsets;

/**
 * Per-row sampling seeds that depend only on the job's seed and the row's key (its id, or its prompt), never on the row's
 * partition or position, so a job gives the same rows however its input is split.
 */
public final class RowSeeds {
    private RowSeeds() {
    }

    /** A 64-bit seed from (seed, key): FNV-1a over the key's UTF-8 bytes, mixed with the seed by SplitMix64's finalizer. */
    public static long derive(long seed, String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(seed ^ mix(h));
    }

    private static long mix(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
