package dev.specdiff4j.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_0 exactly as llama.cpp writes it (ggml-quants.c, quantize_row_q8_0_ref): per block of 32 values,
 * d = max|x| / 127 stored as F16, and q[i] = round(x[i] / d) as a signed byte (round half away from
 * zero, like C's roundf); an all-zero block has d = 0 and q = 0.
 */
public final class Q8 {
    public static final int BLOCK = DType.Q8_0_BLOCK;
    public static final int BLOCK_BYTES = 34;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Q8() {
    }

    /**
     * Quantizes {@code n} values (a multiple of 32) from {@code src[offset..]} into {@code dst} at
     * {@code dstOffset}. NaN and infinity cannot be represented in Q8_0 and are rejected.
     */
    public static void quantize(float[] src, int offset, int n, MemorySegment dst, long dstOffset) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q8_0 needs a multiple of 32 values, got " + n);
        for (int b = 0; b < n / BLOCK; b++) {
            int base = offset + b * BLOCK;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) {
                float v = src[base + i];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("value " + v + " at index " + (base + i - offset)
                            + " cannot be represented in Q8_0");
                }
                amax = Math.max(amax, Math.abs(v));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1.0f / d : 0.0f;
            long at = dstOffset + (long) b * BLOCK_BYTES;
            dst.set(SHORT, at, Halfs.floatToF16(d));
            for (int i = 0; i < BLOCK; i++) {
                float x = src[base + i] * id;
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + i, (byte) roundHalfAwayFromZero(x));
            }
        }
    }

    /** C's roundf: halves go away from zero. */
    static int roundHalfAwayFromZero(float x) {
        return (int) (x < 0 ? -Math.floor(-x + 0.5f) : Math.floor(x + 0.5f));
    }

    /** Dequantizes {@code n} values starting at element {@code firstElement} of a Q8_0 segment. */
    public static void dequantize(MemorySegment src, long firstElement, int n, float[] dst, int dstOffset) {
        for (int i = 0; i < n; i++) {
            long e = firstElement + i;
            long block = (e / BLOCK) * BLOCK_BYTES;
            float d = Halfs.f16ToFloat(src.get(SHORT, block));
            dst[dstOffset + i] = d * src.get(ValueLayout.JAVA_BYTE, block + 2 + e % BLOCK);
        }
    }
}
