package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Halfs;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_0 matmul tiles that dequantize in registers, like {@link Q8Tiles}: each block's 16 bytes are loaded once, their
 * low nibbles (values 0-15) and high nibbles (values 16-31) become two float vectors of q − 8, are multiplied by the
 * block scale and fed to the FMAs directly. The weights (q − 8)·d are exact in float, computed as the reference
 * dequantizer computes them, and the FMAs run in the same order as {@link MatmulTiles} on the decoded rows, so the
 * results are bit-for-bit those of the buffered path. Only for 16-float vectors (two per 32-value block).
 */
final class Q4Tiles {
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final boolean SUPPORTED = VectorMath.L == 16;

    private Q4Tiles() {
    }

    private static ByteVector bytes(MemorySegment w, long block) {
        return ByteVector.fromMemorySegment(B, w, block + 2, LE);
    }

    /** Values 0-15 of a block, (q − 8)·d. */
    private static FloatVector low(ByteVector q, float d) {
        return ((FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d);
    }

    /** Values 16-31 of a block, (q − 8)·d. */
    private static FloatVector high(ByteVector q, float d) {
        return ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d);
    }

    private static float d(MemorySegment w, long block) {
        return Halfs.f16ToFloat(w.get(SHORT, block));
    }

    /** Rows r..r+3 (starting at byte {@code row0}, {@code rowBytes} apart) against token t. */
    static void tile4x1(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out,
                        float[] lanes) {
        int blocks = cols / 32;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o0 = row0 + (long) b * BLOCK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            int c = x0 + b * 32;
            FloatVector lo = FloatVector.fromArray(F, x, c);
            FloatVector hi = FloatVector.fromArray(F, x, c + 16);
            float d0 = d(w, o0);
            float d1 = d(w, o1);
            float d2 = d(w, o2);
            float d3 = d(w, o3);
            ByteVector q0 = bytes(w, o0);
            ByteVector q1 = bytes(w, o1);
            ByteVector q2 = bytes(w, o2);
            ByteVector q3 = bytes(w, o3);
            a0 = low(q0, d0).fma(lo, a0);
            a0 = high(q0, d0).fma(hi, a0);
            a1 = low(q1, d1).fma(lo, a1);
            a1 = high(q1, d1).fma(hi, a1);
            a2 = low(q2, d2).fma(lo, a2);
            a2 = high(q2, d2).fma(hi, a2);
            a3 = low(q3, d3).fma(lo, a3);
            a3 = high(q3, d3).fma(hi, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 16);
        a2.intoArray(lanes, 32);
        a3.intoArray(lanes, 48);
        for (int i = 0; i < 4; i++) out[t * rows + r + i] = MatmulTiles.laneSum(lanes, i * 16) + bias(bias, r + i);
    }

    /** Rows r..r+3 against tokens t..t+3: each dequantized half-block feeds four tokens. */
    static void tile4x4(MemorySegment w, long row0, long rowBytes, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out,
                        float[] lanes) {
        int blocks = cols / 32;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int b = 0; b < blocks; b++) {
            long o0 = row0 + (long) b * BLOCK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            float d0 = d(w, o0);
            float d1 = d(w, o1);
            float d2 = d(w, o2);
            float d3 = d(w, o3);
            ByteVector q0 = bytes(w, o0);
            ByteVector q1 = bytes(w, o1);
            ByteVector q2 = bytes(w, o2);
            ByteVector q3 = bytes(w, o3);
            // values 0..15: the low nibbles (written out twice: a vector chosen by a condition would not stay in registers)
            int cl = b * 32 + 0;
            FloatVector v0l = FloatVector.fromArray(F, x, x0 + cl);
            FloatVector v1l = FloatVector.fromArray(F, x, x1 + cl);
            FloatVector v2l = FloatVector.fromArray(F, x, x2 + cl);
            FloatVector v3l = FloatVector.fromArray(F, x, x3 + cl);
            FloatVector w0l = low(q0, d0);
            a00 = w0l.fma(v0l, a00);
            a01 = w0l.fma(v1l, a01);
            a02 = w0l.fma(v2l, a02);
            a03 = w0l.fma(v3l, a03);
            FloatVector w1l = low(q1, d1);
            a10 = w1l.fma(v0l, a10);
            a11 = w1l.fma(v1l, a11);
            a12 = w1l.fma(v2l, a12);
            a13 = w1l.fma(v3l, a13);
            FloatVector w2l = low(q2, d2);
            a20 = w2l.fma(v0l, a20);
            a21 = w2l.fma(v1l, a21);
            a22 = w2l.fma(v2l, a22);
            a23 = w2l.fma(v3l, a23);
            FloatVector w3l = low(q3, d3);
            a30 = w3l.fma(v0l, a30);
            a31 = w3l.fma(v1l, a31);
            a32 = w3l.fma(v2l, a32);
            a33 = w3l.fma(v3l, a33);
            // values 16..31: the high nibbles (written out twice: a vector chosen by a condition would not stay in registers)
            int ch = b * 32 + 16;
            FloatVector v0h = FloatVector.fromArray(F, x, x0 + ch);
            FloatVector v1h = FloatVector.fromArray(F, x, x1 + ch);
            FloatVector v2h = FloatVector.fromArray(F, x, x2 + ch);
            FloatVector v3h = FloatVector.fromArray(F, x, x3 + ch);
            FloatVector w0h = high(q0, d0);
            a00 = w0h.fma(v0h, a00);
            a01 = w0h.fma(v1h, a01);
            a02 = w0h.fma(v2h, a02);
            a03 = w0h.fma(v3h, a03);
            FloatVector w1h = high(q1, d1);
            a10 = w1h.fma(v0h, a10);
            a11 = w1h.fma(v1h, a11);
            a12 = w1h.fma(v2h, a12);
            a13 = w1h.fma(v3h, a13);
            FloatVector w2h = high(q2, d2);
            a20 = w2h.fma(v0h, a20);
            a21 = w2h.fma(v1h, a21);
            a22 = w2h.fma(v2h, a22);
            a23 = w2h.fma(v3h, a23);
            FloatVector w3h = high(q3, d3);
            a30 = w3h.fma(v0h, a30);
            a31 = w3h.fma(v1h, a31);
            a32 = w3h.fma(v2h, a32);
            a33 = w3h.fma(v3h, a33);
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, 16);
        a02.intoArray(lanes, 32);
        a03.intoArray(lanes, 48);
        a10.intoArray(lanes, 64);
        a11.intoArray(lanes, 80);
        a12.intoArray(lanes, 96);
        a13.intoArray(lanes, 112);
        a20.intoArray(lanes, 128);
        a21.intoArray(lanes, 144);
        a22.intoArray(lanes, 160);
        a23.intoArray(lanes, 176);
        a30.intoArray(lanes, 192);
        a31.intoArray(lanes, 208);
        a32.intoArray(lanes, 224);
        a33.intoArray(lanes, 240);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                out[(t + j) * rows + r + i] = MatmulTiles.laneSum(lanes, (i * 4 + j) * 16) + bias(bias, r + i);
            }
        }
    }

    private static float bias(float[] bias, int r) {
        return bias == null ? 0f : bias[r];
    }
}
