package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One-token (4 rows × 1 token) matmul tiles for Q4_0, Q4_K, Q5_K and Q6_K that unpack the nibbles in byte lanes and feed the
 * widened, scaled weights straight to the FMAs, with no decoded row in memory (the buffered path stores each weight
 * as a float and reads it back). Each weight is computed with the float operations of {@link QuantRowDecoder} (hence
 * of the reference dequantizer): (q − 8)·d for Q4_0 (ggml's dequantize_row_q4_0), (d·sc)·q − dmin·m for Q4_K
 * (dequantize_row_q4_K) and Q5_K (with a fifth bit; dequantize_row_q5_K), (d·sc)·(q − 32) for Q6_K (dequantize_row_q6_K), and the FMAs run over the columns in ascending 16-float chunks into one accumulator per row,
 * as {@link MatmulTiles#tile4x1} does on decoded rows: the outputs are those of the buffered path bit for bit, so a
 * token's logits do not depend on whether it was computed alone (here) or in a longer pass (buffered). Only for
 * 16-float vectors; one method per format so that the JIT's profile of each stays its own.
 */
final class Q4Tiles {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Q4_0 block: f16 d, then 16 bytes whose low nibbles are values 0-15 and high nibbles values 16-31. */
    private static final int Q4_0_BLOCK = 32;
    private static final int Q4_0_BYTES = 18;
    /** Q4_K super-block: f16 d, f16 dmin, 12 packed scale bytes, 128 bytes of nibbles (4 × 32 bytes, 64 values each). */
    private static final int QK = 256;
    private static final int QK_BYTES = 144;
    /** Q5_K super-block: as Q4_K with 32 bytes of fifth bits (bit 2j / 2j + 1 of byte i for value i of group 2j / 2j + 1) before the nibbles. */
    private static final int Q5K_BYTES = 176;
    /** Q6_K super-block: 128 bytes of low nibbles, 64 bytes of high bit pairs, 16 signed scales, f16 d at byte 208. */
    private static final int Q6K_BYTES = 210;

    private Q4Tiles() {
    }

    /** Whether one-token passes over weights of this dtype take these tiles. */
    static boolean supports(DType dtype) {
        return VectorMath.L == 16 && (dtype == DType.Q4_0 || dtype == DType.Q4_K || dtype == DType.Q5_K
                || dtype == DType.Q6_K);
    }

    private static FloatVector lowNibbles(ByteVector q) {
        return (FloatVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector highNibbles(ByteVector q) {
        return (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float d(MemorySegment w, long at) {
        return Halfs.f16ToFloat(w.get(SHORT, at));
    }

    private static FloatVector q4_0Low(MemorySegment w, long block, float d) {
        ByteVector q = ByteVector.fromMemorySegment(B, w, block + 2, LE);
        return ((FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d);
    }

    private static FloatVector q4_0High(MemorySegment w, long block, float d) {
        ByteVector q = ByteVector.fromMemorySegment(B, w, block + 2, LE);
        return ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d);
    }

    /** Q4_0 rows r..r+3 (starting at byte {@code row0}, {@code rowBytes} apart) against token t. */
    static void q4_0x1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out) {
        int blocks = cols / Q4_0_BLOCK;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o0 = row0 + (long) b * Q4_0_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            int c = x0 + b * Q4_0_BLOCK;
            FloatVector lo = FloatVector.fromArray(F, x, c);
            FloatVector hi = FloatVector.fromArray(F, x, c + 16);
            float d0 = d(w, o0);
            float d1 = d(w, o1);
            float d2 = d(w, o2);
            float d3 = d(w, o3);
            a0 = q4_0Low(w, o0, d0).fma(lo, a0);
            a0 = q4_0High(w, o0, d0).fma(hi, a0);
            a1 = q4_0Low(w, o1, d1).fma(lo, a1);
            a1 = q4_0High(w, o1, d1).fma(hi, a1);
            a2 = q4_0Low(w, o2, d2).fma(lo, a2);
            a2 = q4_0High(w, o2, d2).fma(hi, a2);
            a3 = q4_0Low(w, o3, d3).fma(lo, a3);
            a3 = q4_0High(w, o3, d3).fma(hi, a3);
        }
        store(out, t, rows, r, bias, a0, a1, a2, a3);
    }

    /** Q4_K rows r..r+3 against token t: per 64 values, two 16-byte loads per row give four 16-float chunks in column order. */
    static void q4Kx1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out) {
        int superBlocks = cols / QK;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int s = 0; s < superBlocks; s++) {
            long o0 = row0 + (long) s * QK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            float d0 = d(w, o0), m0 = d(w, o0 + 2);
            float d1 = d(w, o1), m1 = d(w, o1 + 2);
            float d2 = d(w, o2), m2 = d(w, o2 + 2);
            float d3 = d(w, o3), m3 = d(w, o3 + 2);
            long p0 = w.get(LONG, o0 + 4), p1 = w.get(LONG, o1 + 4), p2 = w.get(LONG, o2 + 4), p3 = w.get(LONG, o3 + 4);
            int q0 = w.get(INT, o0 + 12), q1 = w.get(INT, o1 + 12), q2 = w.get(INT, o2 + 12), q3 = w.get(INT, o3 + 12);
            for (int j = 0; j < 4; j++) {
                int c = x0 + s * QK + 64 * j;
                FloatVector v0 = FloatVector.fromArray(F, x, c);
                FloatVector v1 = FloatVector.fromArray(F, x, c + 16);
                FloatVector v2 = FloatVector.fromArray(F, x, c + 32);
                FloatVector v3 = FloatVector.fromArray(F, x, c + 48);
                long qs = 16 + 32L * j;
                a0 = group(w, o0 + qs, d0, m0, p0, q0, j, v0, v1, v2, v3, a0);
                a1 = group(w, o1 + qs, d1, m1, p1, q1, j, v0, v1, v2, v3, a1);
                a2 = group(w, o2 + qs, d2, m2, p2, q2, j, v0, v1, v2, v3, a2);
                a3 = group(w, o3 + qs, d3, m3, p3, q3, j, v0, v1, v2, v3, a3);
            }
        }
        store(out, t, rows, r, bias, a0, a1, a2, a3);
    }

    /** 64 values of one Q4_K row (two 32-value groups 2j and 2j + 1) against the activations v0..v3, into acc. */
    private static FloatVector group(MemorySegment w, long qs, float d, float dmin, long p, int q, int j,
                                     FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3, FloatVector acc) {
        float dLow = d * QuantRowDecoder.scale(p, q, 2 * j);
        float mLow = dmin * QuantRowDecoder.min(p, q, 2 * j);
        float dHigh = d * QuantRowDecoder.scale(p, q, 2 * j + 1);
        float mHigh = dmin * QuantRowDecoder.min(p, q, 2 * j + 1);
        ByteVector first = ByteVector.fromMemorySegment(B, w, qs, LE);
        ByteVector second = ByteVector.fromMemorySegment(B, w, qs + 16, LE);
        acc = lowNibbles(first).mul(dLow).sub(mLow).fma(v0, acc);
        acc = lowNibbles(second).mul(dLow).sub(mLow).fma(v1, acc);
        acc = highNibbles(first).mul(dHigh).sub(mHigh).fma(v2, acc);
        return highNibbles(second).mul(dHigh).sub(mHigh).fma(v3, acc);
    }

    /** Q5_K rows r..r+3 against token t, 64 values (two groups) at a time like {@link #q4Kx1}. */
    static void q5Kx1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out) {
        int superBlocks = cols / QK;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int s = 0; s < superBlocks; s++) {
            long o0 = row0 + (long) s * Q5K_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            float d0 = d(w, o0), m0 = d(w, o0 + 2);
            float d1 = d(w, o1), m1 = d(w, o1 + 2);
            float d2 = d(w, o2), m2 = d(w, o2 + 2);
            float d3 = d(w, o3), m3 = d(w, o3 + 2);
            long p0 = w.get(LONG, o0 + 4), p1 = w.get(LONG, o1 + 4), p2 = w.get(LONG, o2 + 4), p3 = w.get(LONG, o3 + 4);
            int q0 = w.get(INT, o0 + 12), q1 = w.get(INT, o1 + 12), q2 = w.get(INT, o2 + 12), q3 = w.get(INT, o3 + 12);
            for (int j = 0; j < 4; j++) {
                int c = x0 + s * QK + 64 * j;
                FloatVector v0 = FloatVector.fromArray(F, x, c);
                FloatVector v1 = FloatVector.fromArray(F, x, c + 16);
                FloatVector v2 = FloatVector.fromArray(F, x, c + 32);
                FloatVector v3 = FloatVector.fromArray(F, x, c + 48);
                a0 = group5(w, o0, d0, m0, p0, q0, j, v0, v1, v2, v3, a0);
                a1 = group5(w, o1, d1, m1, p1, q1, j, v0, v1, v2, v3, a1);
                a2 = group5(w, o2, d2, m2, p2, q2, j, v0, v1, v2, v3, a2);
                a3 = group5(w, o3, d3, m3, p3, q3, j, v0, v1, v2, v3, a3);
            }
        }
        store(out, t, rows, r, bias, a0, a1, a2, a3);
    }

    /** 64 values of one Q5_K row (groups 2j and 2j + 1): q = nibble | fifth bit << 4, (d·sc)·q − dmin·m. */
    private static FloatVector group5(MemorySegment w, long block, float d, float dmin, long p, int q, int j,
                                      FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3, FloatVector acc) {
        float dLow = d * QuantRowDecoder.scale(p, q, 2 * j);
        float mLow = dmin * QuantRowDecoder.min(p, q, 2 * j);
        float dHigh = d * QuantRowDecoder.scale(p, q, 2 * j + 1);
        float mHigh = dmin * QuantRowDecoder.min(p, q, 2 * j + 1);
        ByteVector first = ByteVector.fromMemorySegment(B, w, block + 48 + 32L * j, LE);
        ByteVector second = ByteVector.fromMemorySegment(B, w, block + 64 + 32L * j, LE);
        ByteVector h0 = ByteVector.fromMemorySegment(B, w, block + 16, LE);
        ByteVector h1 = ByteVector.fromMemorySegment(B, w, block + 32, LE);
        acc = fifthBit(first.and((byte) 0x0F), h0, 2 * j).mul(dLow).sub(mLow).fma(v0, acc);
        acc = fifthBit(second.and((byte) 0x0F), h1, 2 * j).mul(dLow).sub(mLow).fma(v1, acc);
        acc = fifthBit(first.lanewise(VectorOperators.LSHR, 4), h0, 2 * j + 1).mul(dHigh).sub(mHigh).fma(v2, acc);
        return fifthBit(second.lanewise(VectorOperators.LSHR, 4), h1, 2 * j + 1).mul(dHigh).sub(mHigh).fma(v3, acc);
    }

    /** nibble | ((high >>> bit) & 1) << 4, widened. */
    private static FloatVector fifthBit(ByteVector nibble, ByteVector high, int bit) {
        ByteVector q = nibble.or(high.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    /** Q6_K rows r..r+3 against token t, half a super-block (128 values) at a time. */
    static void q6Kx1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out) {
        int superBlocks = cols / QK;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int s = 0; s < superBlocks; s++) {
            long o0 = row0 + (long) s * Q6K_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            float d0 = d(w, o0 + 208);
            float d1 = d(w, o1 + 208);
            float d2 = d(w, o2 + 208);
            float d3 = d(w, o3 + 208);
            for (int half = 0; half < 2; half++) {
                int c = x0 + s * QK + 128 * half;
                FloatVector v0 = FloatVector.fromArray(F, x, c);
                FloatVector v1 = FloatVector.fromArray(F, x, c + 16);
                FloatVector v2 = FloatVector.fromArray(F, x, c + 32);
                FloatVector v3 = FloatVector.fromArray(F, x, c + 48);
                FloatVector v4 = FloatVector.fromArray(F, x, c + 64);
                FloatVector v5 = FloatVector.fromArray(F, x, c + 80);
                FloatVector v6 = FloatVector.fromArray(F, x, c + 96);
                FloatVector v7 = FloatVector.fromArray(F, x, c + 112);
                a0 = q6Half(w, o0, half, d0, v0, v1, v2, v3, v4, v5, v6, v7, a0);
                a1 = q6Half(w, o1, half, d1, v0, v1, v2, v3, v4, v5, v6, v7, a1);
                a2 = q6Half(w, o2, half, d2, v0, v1, v2, v3, v4, v5, v6, v7, a2);
                a3 = q6Half(w, o3, half, d3, v0, v1, v2, v3, v4, v5, v6, v7, a3);
            }
        }
        store(out, t, rows, r, bias, a0, a1, a2, a3);
    }

    /**
     * 128 values of one Q6_K row against the activations v0..v7, into acc: the sixteen 16-value groups of the half, each
     * q = low nibble | two high bits << 4, minus 32, times d·scale, in column order.
     */
    private static FloatVector q6Half(MemorySegment w, long block, int half, float d, FloatVector v0, FloatVector v1, FloatVector v2,
                                      FloatVector v3, FloatVector v4, FloatVector v5, FloatVector v6, FloatVector v7, FloatVector acc) {
        long ql = block + 64L * half;
        long qh = block + 128 + 32L * half;
        long sc = block + 192 + 8L * half;
        ByteVector lowA0 = ByteVector.fromMemorySegment(B, w, ql, LE);
        ByteVector lowA1 = ByteVector.fromMemorySegment(B, w, ql + 16, LE);
        ByteVector lowB0 = ByteVector.fromMemorySegment(B, w, ql + 32, LE);
        ByteVector lowB1 = ByteVector.fromMemorySegment(B, w, ql + 48, LE);
        ByteVector high0 = ByteVector.fromMemorySegment(B, w, qh, LE);
        ByteVector high1 = ByteVector.fromMemorySegment(B, w, qh + 16, LE);
        acc = q6(lowA0.and((byte) 0x0F), high0, 0, d * w.get(ValueLayout.JAVA_BYTE, sc)).fma(v0, acc);
        acc = q6(lowA1.and((byte) 0x0F), high1, 0, d * w.get(ValueLayout.JAVA_BYTE, sc + 1)).fma(v1, acc);
        acc = q6(lowB0.and((byte) 0x0F), high0, 2, d * w.get(ValueLayout.JAVA_BYTE, sc + 2)).fma(v2, acc);
        acc = q6(lowB1.and((byte) 0x0F), high1, 2, d * w.get(ValueLayout.JAVA_BYTE, sc + 3)).fma(v3, acc);
        acc = q6(lowA0.lanewise(VectorOperators.LSHR, 4), high0, 4, d * w.get(ValueLayout.JAVA_BYTE, sc + 4)).fma(v4, acc);
        acc = q6(lowA1.lanewise(VectorOperators.LSHR, 4), high1, 4, d * w.get(ValueLayout.JAVA_BYTE, sc + 5)).fma(v5, acc);
        acc = q6(lowB0.lanewise(VectorOperators.LSHR, 4), high0, 6, d * w.get(ValueLayout.JAVA_BYTE, sc + 6)).fma(v6, acc);
        return q6(lowB1.lanewise(VectorOperators.LSHR, 4), high1, 6, d * w.get(ValueLayout.JAVA_BYTE, sc + 7)).fma(v7, acc);
    }

    /** (low | ((high >>> shift) & 3) << 4) − 32, widened, times the group's d·scale. */
    private static FloatVector q6(ByteVector low, ByteVector high, int shift, float scale) {
        ByteVector q = low.or(high.lanewise(VectorOperators.LSHR, shift).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(scale);
    }

    private static void store(float[] out, int t, int rows, int r, float[] bias, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        out[t * rows + r] = VectorMath.sum(a0) + bias(bias, r);
        out[t * rows + r + 1] = VectorMath.sum(a1) + bias(bias, r + 1);
        out[t * rows + r + 2] = VectorMath.sum(a2) + bias(bias, r + 2);
        out[t * rows + r + 3] = VectorMath.sum(a3) + bias(bias, r + 3);
    }

    private static float bias(float[] bias, int r) {
        return bias == null ? 0f : bias[r];
    }
}
