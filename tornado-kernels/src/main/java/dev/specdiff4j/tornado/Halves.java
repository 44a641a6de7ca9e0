package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.Halfs;

/**
 * Lookup tables from 16-bit patterns to floats, indexed by the pattern as a signed short plus {@link #OFFSET}.
 * Kernels decode F16 and BF16 weights (and Q8_0 scales) with {@code table[bits + OFFSET]}: TornadoVM's OpenCL
 * backend compiles neither Float.intBitsToFloat nor a float-valued branch, and zero-extends a short masked with
 * 0xFFFF wrongly; a table of 65536 entries is exact for every pattern.
 */
public final class Halves {
    public static final int OFFSET = 32768;
    private static final float[] F16 = new float[65536];
    private static final float[] BF16 = new float[65536];

    static {
        for (int bits = Short.MIN_VALUE; bits <= Short.MAX_VALUE; bits++) {
            F16[bits + OFFSET] = Halfs.f16ToFloat((short) bits);
            BF16[bits + OFFSET] = Halfs.bf16ToFloat((short) bits);
        }
    }

    private Halves() {
    }

    /** The IEEE half-precision table (a copy: devices get their own). */
    public static float[] f16Table() {
        return F16.clone();
    }

    /** The bfloat16 table (a copy). */
    public static float[] bf16Table() {
        return BF16.clone();
    }

    /** The signed 16-bit value of a little-endian byte pair, without masking a byte (see the class comment). */
    static int signedPair(byte low, byte high) {
        int lo = low;
        return high * 256 + (lo < 0 ? lo + 256 : lo);
    }

    static float[] sharedF16() {
        return F16;
    }

    static float[] sharedBf16() {
        return BF16;
    }
}
