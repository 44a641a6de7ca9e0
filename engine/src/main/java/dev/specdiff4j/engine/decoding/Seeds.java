package dev.specdiff4j.engine.decoding;

import java.util.SplittableRandom;

/**
 * Random streams derived from a seed and a position, so that a drafter's choices depend only on where in
 * the sequence they are made, not on how many draws came before (what lets a draft be computed early).
 */
final class Seeds {
    private Seeds() {
    }

    static SplittableRandom at(long seed, long stream, long position) {
        long h = seed * 0x9E3779B97F4A7C15L + stream;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + position;
        h = (h ^ (h >>> 29)) * 0x94D049BB133111EBL;
        return new SplittableRandom(h ^ (h >>> 32));
    }
}
