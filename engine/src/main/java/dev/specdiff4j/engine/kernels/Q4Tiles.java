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
 * One-token (4 rows × 1 token, read one row after the other) matmul tiles for Q4_0, Q4_K, Q5_K and Q6_K that unpack the nibbles in byte lanes and feed the
 * widened, scaled weights straight to the FMAs, with no decoded row in memory (the buffered path stores each weight
 * as a float and reads it back). Each weight is computed with the float operations of {@link QuantRowDecoder} (hence
 * of the reference dequantizer): (q − 8)·d for Q4_0 (ggml's dequantize_row_q4_0), (d·sc)·q − dmin·m for Q4_K
 * (dequantize_row_q4_K) and Q5_K (with a fifth bit; dequantize_row_q5_K), (d·sc)·(q − 32) for Q6_K (dequantize_row_q6_K), and the FMAs run over the columns in ascending 16-float chunks into one accumulator per row,
 * as {@link MatmulTiles#tile4x1} does on decoded rows: the outputs are those of the buffered path bit for bit, so a
 * token's logits do not depend on whether it was computed alone (here) or in a longer pass (buffered). Only for
 * 16-float vectors; one method per format so that the JIT's profile of each stays its own.
 *
 * <p>No vector crosses a method boundary: each tile runs four calls of a one-row method whose arguments are scalars and
 * arrays, all byte-lane and float work written out inside it, and the accumulator leaves through {@code lanes}
 * ({@link MatmulTiles#laneSum}). The first version had small helpers that took and returned vectors; the unpacking
 * outgrew C2's inlining budget (NodeCountInliningCutoff), the helpers it left out got their vectors boxed on the heap,
 * and the tiles ran 40-200x slower than the buffered path (docs/notes/16-kernels-round3.md).
 */
final class Q4Tiles {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int L = VectorMath.L;
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

    private static float d(MemorySegment w, long at) {
        return Halfs.f16ToFloat(w.get(SHORT, at));
    }

    /** Q4_0 rows r..r+3 (starting at byte {@code row0}, {@code rowBytes} apart) against token t. */
    static void q4_0x1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        for (int i = 0; i < 4; i++) q4_0Row(w, row0 + i * rowBytes, cols, x, t * cols, lanes, i * L);
        store(out, t, rows, r, bias, lanes);
    }

    /** One Q4_0 row at byte o: per block (q − 8)·d, low nibbles then high nibbles; the accumulator to lanes[at..]. */
    private static void q4_0Row(MemorySegment w, long o, int cols, float[] x, int x0, float[] lanes, int at) {
        FloatVector a = FloatVector.zero(F);
        for (int b = 0; b < cols / Q4_0_BLOCK; b++) {
            long block = o + (long) b * Q4_0_BYTES;
            int c = x0 + b * Q4_0_BLOCK;
            float d = d(w, block);
            ByteVector q = ByteVector.fromMemorySegment(B, w, block + 2, LE);
            a = ((FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d).fma(FloatVector.fromArray(F, x, c), a);
            a = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d)
                    .fma(FloatVector.fromArray(F, x, c + 16), a);
        }
        a.intoArray(lanes, at);
    }

    /** Q4_K rows r..r+3 against token t. */
    static void q4Kx1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        for (int i = 0; i < 4; i++) q4KRow(w, row0 + i * rowBytes, cols, x, t * cols, lanes, i * L);
        store(out, t, rows, r, bias, lanes);
    }

    /**
     * One Q4_K row at byte o: per 64 values (groups 2j and 2j + 1) two 16-byte loads give four 16-float chunks in column
     * order, (d·sc)·q − dmin·m; the accumulator to lanes[at..].
     */
    private static void q4KRow(MemorySegment w, long o, int cols, float[] x, int x0, float[] lanes, int at) {
        FloatVector a = FloatVector.zero(F);
        for (int s = 0; s < cols / QK; s++) {
            long sb = o + (long) s * QK_BYTES;
            float d = d(w, sb), m = d(w, sb + 2);
            long p = w.get(LONG, sb + 4);
            int q = w.get(INT, sb + 12);
            for (int j = 0; j < 4; j++) {
                int c = x0 + s * QK + 64 * j;
                float dLow = d * QuantRowDecoder.scale(p, q, 2 * j), mLow = m * QuantRowDecoder.min(p, q, 2 * j);
                float dHigh = d * QuantRowDecoder.scale(p, q, 2 * j + 1), mHigh = m * QuantRowDecoder.min(p, q, 2 * j + 1);
                ByteVector first = ByteVector.fromMemorySegment(B, w, sb + 16 + 32L * j, LE);
                ByteVector second = ByteVector.fromMemorySegment(B, w, sb + 32 + 32L * j, LE);
                a = ((FloatVector) first.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0)).mul(dLow).sub(mLow).fma(FloatVector.fromArray(F, x, c), a);
                a = ((FloatVector) second.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0)).mul(dLow).sub(mLow).fma(FloatVector.fromArray(F, x, c + 16), a);
                a = ((FloatVector) first.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).mul(dHigh).sub(mHigh)
                        .fma(FloatVector.fromArray(F, x, c + 32), a);
                a = ((FloatVector) second.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).mul(dHigh).sub(mHigh)
                        .fma(FloatVector.fromArray(F, x, c + 48), a);
            }
        }
        a.intoArray(lanes, at);
    }

    /** Q5_K rows r..r+3 against token t. */
    static void q5Kx1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        for (int i = 0; i < 4; i++) q5KRow(w, row0 + i * rowBytes, cols, x, t * cols, lanes, i * L);
        store(out, t, rows, r, bias, lanes);
    }

    /**
     * One Q5_K row at byte o, 64 values (groups 2j and 2j + 1) at a time like {@link #q4KRow}: q = nibble | fifth bit
     * << 4 (bit 2j or 2j + 1 of the 32 high-bit bytes), (d·sc)·q − dmin·m; the accumulator to lanes[at..].
     */
    private static void q5KRow(MemorySegment w, long o, int cols, float[] x, int x0, float[] lanes, int at) {
        FloatVector a = FloatVector.zero(F);
        for (int s = 0; s < cols / QK; s++) {
            long sb = o + (long) s * Q5K_BYTES;
            float d = d(w, sb), m = d(w, sb + 2);
            long p = w.get(LONG, sb + 4);
            int q = w.get(INT, sb + 12);
            ByteVector h0 = ByteVector.fromMemorySegment(B, w, sb + 16, LE);
            ByteVector h1 = ByteVector.fromMemorySegment(B, w, sb + 32, LE);
            for (int j = 0; j < 4; j++) {
                int c = x0 + s * QK + 64 * j;
                int lowBit = 2 * j;
                int highBit = 2 * j + 1;
                float dLow = d * QuantRowDecoder.scale(p, q, lowBit), mLow = m * QuantRowDecoder.min(p, q, lowBit);
                float dHigh = d * QuantRowDecoder.scale(p, q, highBit), mHigh = m * QuantRowDecoder.min(p, q, highBit);
                ByteVector first = ByteVector.fromMemorySegment(B, w, sb + 48 + 32L * j, LE);
                ByteVector second = ByteVector.fromMemorySegment(B, w, sb + 64 + 32L * j, LE);
                ByteVector q0 = first.and((byte) 0x0F).or(h0.lanewise(VectorOperators.LSHR, lowBit).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                ByteVector q1 = second.and((byte) 0x0F).or(h1.lanewise(VectorOperators.LSHR, lowBit).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                ByteVector q2 = first.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, highBit).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                ByteVector q3 = second.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, highBit).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                a = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0)).mul(dLow).sub(mLow).fma(FloatVector.fromArray(F, x, c), a);
                a = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(dLow).sub(mLow).fma(FloatVector.fromArray(F, x, c + 16), a);
                a = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(dHigh).sub(mHigh).fma(FloatVector.fromArray(F, x, c + 32), a);
                a = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).mul(dHigh).sub(mHigh).fma(FloatVector.fromArray(F, x, c + 48), a);
            }
        }
        a.intoArray(lanes, at);
    }

    /** Q6_K rows r..r+3 against token t. */
    static void q6Kx1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        for (int i = 0; i < 4; i++) q6KRow(w, row0 + i * rowBytes, cols, x, t * cols, lanes, i * L);
        store(out, t, rows, r, bias, lanes);
    }

    /**
     * One Q6_K row at byte o, 32 values at a time: per 16-value group q = nibble | two high bits << 4, minus 32, times
     * d·scale, in column order (dequantize_row_q6_K's layout); the accumulator to lanes[at..].
     */
    private static void q6KRow(MemorySegment w, long o, int cols, float[] x, int x0, float[] lanes, int at) {
        FloatVector a = FloatVector.zero(F);
        for (int s = 0; s < cols / QK; s++) {
            long sb = o + (long) s * Q6K_BYTES;
            float d = d(w, sb + 208);
            for (int half = 0; half < 2; half++) {
                for (int g = 0; g < 4; g++) {
                    // columns 128·half + 32·g .. +31: the low (g < 2) or high nibbles of the half's low-bit bytes
                    // 32·(g & 1) .. +31, the bit pair 2·g of its 32 high-bit bytes, scales 2·g and 2·g + 1
                    int c = x0 + s * QK + 128 * half + 32 * g;
                    long ql = sb + 64L * half + 32L * (g & 1);
                    long qh = sb + 128 + 32L * half;
                    int nibbleShift = g < 2 ? 0 : 4;
                    int pairShift = 2 * g;
                    long sc = sb + 192 + 8L * half + 2 * g;
                    ByteVector l0 = ByteVector.fromMemorySegment(B, w, ql, LE).lanewise(VectorOperators.LSHR, nibbleShift).and((byte) 0x0F);
                    ByteVector l1 = ByteVector.fromMemorySegment(B, w, ql + 16, LE).lanewise(VectorOperators.LSHR, nibbleShift).and((byte) 0x0F);
                    ByteVector h0 = ByteVector.fromMemorySegment(B, w, qh, LE).lanewise(VectorOperators.LSHR, pairShift).and((byte) 3);
                    ByteVector h1 = ByteVector.fromMemorySegment(B, w, qh + 16, LE).lanewise(VectorOperators.LSHR, pairShift).and((byte) 3);
                    a = ((FloatVector) l0.or(h0.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d * w.get(ValueLayout.JAVA_BYTE, sc)).fma(FloatVector.fromArray(F, x, c), a);
                    a = ((FloatVector) l1.or(h1.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d * w.get(ValueLayout.JAVA_BYTE, sc + 1)).fma(FloatVector.fromArray(F, x, c + 16), a);
                }
            }
        }
        a.intoArray(lanes, at);
    }

    /** The four outputs of a tile from the spilled accumulators (lanes[0 .. 4L)), plus the bias. */
    private static void store(float[] out, int t, int rows, int r, float[] bias, float[] lanes) {
        for (int i = 0; i < 4; i++) out[t * rows + r + i] = MatmulTiles.laneSum(lanes, i * L) + bias(bias, r + i);
    }

    private static float bias(float[] bias, int r) {
        return bias == null ? 0f : bias[r];
    }
}
