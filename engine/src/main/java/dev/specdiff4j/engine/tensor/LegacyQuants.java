package dev.specdiff4j.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 32-value block formats besides Q8_0, exactly as llama.cpp's reference quantizers write them
 * (ggml-quants.c, quantize_row_q4_0_ref / q5_0_ref / q5_1_ref):
 * <ul>
 *   <li>Q4_0, 18 bytes: F16 d, then 16 bytes of 4-bit levels (value j in the low nibble of byte j, value j + 16 in
 *   the high nibble); x = d·(q − 8), with d = (the value of largest magnitude) / −8.</li>
 *   <li>Q5_0, 22 bytes: F16 d, a 32-bit little-endian word of fifth bits (bit j for value j), 16 bytes of low
 *   nibbles as Q4_0; x = d·(q − 16), d = (largest-magnitude value) / −16.</li>
 *   <li>Q5_1, 24 bytes: F16 d, F16 m, fifth bits, nibbles; x = d·q + m with m the block minimum and d = range / 31.</li>
 * </ul>
 * Float-to-level conversion truncates toward zero after adding 8.5 / 16.5 / 0.5, as the C casts do.
 */
final class LegacyQuants {
    static final int BLOCK = 32;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private LegacyQuants() {
    }

    /** The value of largest magnitude (the first one on ties). */
    private static float signedMax(float[] x, int base) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[base + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    static void quantizeQ4_0(float[] x, int base, MemorySegment dst, long at) {
        float d = signedMax(x, base) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(SHORT, at, Halfs.floatToF16(d));
        for (int j = 0; j < BLOCK / 2; j++) {
            int q0 = Math.min(15, (byte) (int) (x[base + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x[base + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) ((q0 & 0xFF) | (q1 << 4)));
        }
    }

    static void dequantizeQ4_0(MemorySegment src, long at, float[] dst, int o) {
        float d = Halfs.f16ToFloat(src.get(SHORT, at));
        for (int j = 0; j < BLOCK / 2; j++) {
            int b = src.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
            dst[o + j] = ((b & 0x0F) - 8) * d;
            dst[o + j + 16] = ((b >>> 4) - 8) * d;
        }
    }

    static void quantizeQ5_0(float[] x, int base, MemorySegment dst, long at) {
        float d = signedMax(x, base) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(SHORT, at, Halfs.floatToF16(d));
        int qh = 0;
        for (int j = 0; j < BLOCK / 2; j++) {
            int q0 = Math.min(31, (byte) (int) (x[base + j] * id + 16.5f)) & 0xFF;
            int q1 = Math.min(31, (byte) (int) (x[base + 16 + j] * id + 16.5f)) & 0xFF;
            dst.set(ValueLayout.JAVA_BYTE, at + 6 + j, (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4)));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        dst.set(INT, at + 2, qh);
    }

    static void dequantizeQ5_0(MemorySegment src, long at, float[] dst, int o) {
        float d = Halfs.f16ToFloat(src.get(SHORT, at));
        int qh = src.get(INT, at + 2);
        for (int j = 0; j < BLOCK / 2; j++) {
            int b = src.get(ValueLayout.JAVA_BYTE, at + 6 + j) & 0xFF;
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            dst[o + j] = (((b & 0x0F) | h0) - 16) * d;
            dst[o + j + 16] = (((b >>> 4) | h1) - 16) * d;
        }
    }

    static void quantizeQ5_1(float[] x, int base, MemorySegment dst, long at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[base + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(SHORT, at, Halfs.floatToF16(d));
        dst.set(SHORT, at + 2, Halfs.floatToF16(min));
        int qh = 0;
        for (int j = 0; j < BLOCK / 2; j++) {
            int q0 = (int) ((x[base + j] - min) * id + 0.5f) & 0xFF;
            int q1 = (int) ((x[base + 16 + j] - min) * id + 0.5f) & 0xFF;
            dst.set(ValueLayout.JAVA_BYTE, at + 8 + j, (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4)));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        dst.set(INT, at + 4, qh);
    }

    static void dequantizeQ5_1(MemorySegment src, long at, float[] dst, int o) {
        float d = Halfs.f16ToFloat(src.get(SHORT, at));
        float m = Halfs.f16ToFloat(src.get(SHORT, at + 2));
        int qh = src.get(INT, at + 4);
        for (int j = 0; j < BLOCK / 2; j++) {
            int b = src.get(ValueLayout.JAVA_BYTE, at + 8 + j) & 0xFF;
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            dst[o + j] = ((b & 0x0F) | h0) * d + m;
            dst[o + j + 16] = ((b >>> 4) | h1) * d + m;
        }
    }
}
