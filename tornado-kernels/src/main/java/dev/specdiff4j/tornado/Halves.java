package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.Halfs;

/**
 * Lookup tables from 16-bit patterns to floats. 16-bit weights are packed two to an int (element e in bits
 * 16·(e mod 2), the little-endian memory order) and decoded as {@code table[(w[e/2] >>> 16·(e mod 2)) & 0xFFFF]}:
 * TornadoVM's OpenCL backend compiles neither Float.intBitsToFloat nor a float-valued branch, and it computes
 * arithmetic on short and byte loads in 16 and 8 bits; int words and a table of 65536 entries avoid all three,
 * and the table is exact for every pattern.
 */
public final class Halves {
    private static final float[] F16 = new float[65536];
    private static final float[] BF16 = new float[65536];

    static {
        for (int bits = 0; bits < 65536; bits++) {
            F16[bits] = Halfs.f16ToFloat((short) bits);
            BF16[bits] = Halfs.bf16ToFloat((short) bits);
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

    static float[] sharedF16() {
        return F16;
    }

    static float[] sharedBf16() {
        return BF16;
    }
}
