package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.Halfs;

/**
 * Lookup tables from 16-bit patterns to floats. Kernels decode F16 and BF16 weights (and Q8_0 scales) with
 * {@code table[bits & 0xFFFF]}: TornadoVM's OpenCL backend compiles neither Float.intBitsToFloat nor a
 * float-valued branch, and a table of 65536 entries is exact for every pattern.
 */
public final class Halves {
    private static final float[] F16 = new float[65536];
    private static final float[] BF16 = new float[65536];

    static {
        for (int i = 0; i < 65536; i++) {
            F16[i] = Halfs.f16ToFloat((short) i);
            BF16[i] = Halfs.bf16ToFloat((short) i);
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
