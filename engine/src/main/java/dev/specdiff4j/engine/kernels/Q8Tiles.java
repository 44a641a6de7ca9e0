package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Q8;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q8_0 matmul tiles that dequantize in registers: each block's 32 bytes become 32 / L float vectors, are
 * multiplied by the block scale and fed to the FMAs directly, instead of going through a float buffer.
 * The weights d·q are exact in float and the FMAs run in the same order as {@link MatmulTiles} on the
 * dequantized rows, so the results are bit-for-bit those of the buffered path: tiles of either kind can
 * be mixed without changing any output. For 8- and 16-float vectors (AVX2, AVX-512).
 */
final class Q8Tiles {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int L = VectorMath.L;
    /** As many bytes as F has floats: one B2F conversion widens them to one float vector. */
    private static final VectorSpecies<Byte> B = L == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    /** Float vectors per Q8_0 block. */
    private static final int CHUNKS = Q8.BLOCK / L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final boolean SUPPORTED = L == 16 || L == 8;

    private Q8Tiles() {
    }

    private static FloatVector q(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float d(MemorySegment w, long block) {
        return Halfs.f16ToFloat(w.get(SHORT, block));
    }

    /**
     * Rows r..r+3 against token t: row i's block b at byte {@code row0 + i·rowStride + b·blockStride} (plain rows:
     * rowStride = the row's bytes, blockStride = 34; a packed block, {@link PackedWeights}: 34 and 136).
     */
    static void tile4x1(MemorySegment w, long row0, long rowStride, long blockStride, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out,
                        float[] lanes) {
        int blocks = cols / Q8.BLOCK;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o0 = row0 + b * blockStride;
            long o1 = o0 + rowStride;
            long o2 = o1 + rowStride;
            long o3 = o2 + rowStride;
            float d0 = d(w, o0);
            float d1 = d(w, o1);
            float d2 = d(w, o2);
            float d3 = d(w, o3);
            // each accumulator takes the block's chunks in column order, as the buffered path does
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                FloatVector v = FloatVector.fromArray(F, x, x0 + b * Q8.BLOCK + chunk * L);
                long q = 2 + (long) chunk * L;
                a0 = q(w, o0 + q).mul(d0).fma(v, a0);
                a1 = q(w, o1 + q).mul(d1).fma(v, a1);
                a2 = q(w, o2 + q).mul(d2).fma(v, a2);
                a3 = q(w, o3 + q).mul(d3).fma(v, a3);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        for (int i = 0; i < 4; i++) out[t * rows + r + i] = MatmulTiles.laneSum(lanes, i * L) + bias(bias, r + i);
    }

    /** Row r (starting at byte {@code row0}) against token t: {@link #tile4x1}'s operations for one row. */
    static void tile1x1(MemorySegment w, long row0, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int x0 = t * cols;
        FloatVector a = FloatVector.zero(F);
        for (int b = 0; b < cols / Q8.BLOCK; b++) {
            long o = row0 + (long) b * Q8.BLOCK_BYTES;
            float d = d(w, o);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                a = q(w, o + 2 + (long) chunk * L).mul(d).fma(FloatVector.fromArray(F, x, x0 + b * Q8.BLOCK + chunk * L), a);
            }
        }
        // the lane sum folded in registers, in laneSum's order (written out here: a vector must not cross a call)
        if (L >= 16) a = a.add(a.rearrange(VectorMath.FOLD_8));
        if (L >= 8) a = a.add(a.rearrange(VectorMath.FOLD_4));
        if (L >= 4) a = a.add(a.rearrange(VectorMath.FOLD_2));
        a = a.add(a.rearrange(VectorMath.FOLD_1));
        out[t * rows + r] = a.lane(0) + bias(bias, r);
    }

    /** Rows r..r+3 (laid out as for {@link #tile4x1}) against tokens t..t+3: each dequantized chunk of a block feeds four tokens. */
    static void tile4x4(MemorySegment w, long row0, long rowStride, long blockStride, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out,
                        float[] lanes) {
        int blocks = cols / Q8.BLOCK;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int b = 0; b < blocks; b++) {
            long o0 = row0 + b * blockStride;
            long o1 = o0 + rowStride;
            long o2 = o1 + rowStride;
            long o3 = o2 + rowStride;
            float d0 = d(w, o0);
            float d1 = d(w, o1);
            float d2 = d(w, o2);
            float d3 = d(w, o3);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int c = b * Q8.BLOCK + chunk * L;
                long q = 2 + (long) chunk * L;
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
                FloatVector w0 = q(w, o0 + q).mul(d0);
                a00 = w0.fma(v0, a00);
                a01 = w0.fma(v1, a01);
                a02 = w0.fma(v2, a02);
                a03 = w0.fma(v3, a03);
                FloatVector w1 = q(w, o1 + q).mul(d1);
                a10 = w1.fma(v0, a10);
                a11 = w1.fma(v1, a11);
                a12 = w1.fma(v2, a12);
                a13 = w1.fma(v3, a13);
                FloatVector w2 = q(w, o2 + q).mul(d2);
                a20 = w2.fma(v0, a20);
                a21 = w2.fma(v1, a21);
                a22 = w2.fma(v2, a22);
                a23 = w2.fma(v3, a23);
                FloatVector w3 = q(w, o3 + q).mul(d3);
                a30 = w3.fma(v0, a30);
                a31 = w3.fma(v1, a31);
                a32 = w3.fma(v2, a32);
                a33 = w3.fma(v3, a33);
            }
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        MatmulTiles.laneSums16(lanes);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                out[(t + j) * rows + r + i] = lanes[i * 4 + j] + bias(bias, r + i);
            }
        }
    }

    private static float bias(float[] bias, int r) {
        return bias == null ? 0f : bias[r];
    }
}
