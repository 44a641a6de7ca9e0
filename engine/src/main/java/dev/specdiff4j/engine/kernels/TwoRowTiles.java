package dev.specdiff4j.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The 2 weight rows × 4 tokens register tile of the float matrix multiply, for 256-bit vectors (16 registers on AVX2):
 * 8 accumulators, 4 activation vectors and the weight vectors fit in registers, where the 4×4 tile of
 * {@link MatmulTiles} (16 accumulators plus 5 operands) spills on every iteration. Each weight vector still feeds 4
 * tokens; two calls cover a 4-row block. Same summation per output as every other tile (one accumulator over the full
 * vectors, {@link MatmulTiles#laneSum}, then the tail with fma), so results are the same bits whatever the tile.
 * Arguments as in {@link MatmulTiles#tile4x4}; {@code tile2x4} reads F32 rows, {@code tile2x4Half} widens F16 or BF16
 * rows in registers (separate methods for separate JIT type profiles, see {@link MatmulTiles#wHalf}).
 */
final class TwoRowTiles {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int L = VectorMath.L;

    private TwoRowTiles() {
    }

    static void tile2x4(MemorySegment w, int kind, long w0, long stride, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = MatmulTiles.elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector w0v = MatmulTiles.wF32(w, o0 + b);
            FloatVector w1v = MatmulTiles.wF32(w, o1 + b);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            a02 = w0v.fma(v2, a02);
            a03 = w0v.fma(v3, a03);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            a12 = w1v.fma(v2, a12);
            a13 = w1v.fma(v3, a13);
        }
        a00.intoArray(lanes, 0 * L);
        a01.intoArray(lanes, 1 * L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        finish(w, kind, o0, o1, cols, upper, x, t, x0, bias, r, rows, out, lanes);
    }

    static void tile2x4Half(MemorySegment w, int kind, long w0, long stride, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = MatmulTiles.elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector w0v = MatmulTiles.wHalf(w, o0 + b, kind);
            FloatVector w1v = MatmulTiles.wHalf(w, o1 + b, kind);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            a02 = w0v.fma(v2, a02);
            a03 = w0v.fma(v3, a03);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            a12 = w1v.fma(v2, a12);
            a13 = w1v.fma(v3, a13);
        }
        a00.intoArray(lanes, 0 * L);
        a01.intoArray(lanes, 1 * L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        finish(w, kind, o0, o1, cols, upper, x, t, x0, bias, r, rows, out, lanes);
    }

    /** Lane sums of the 8 spilled accumulators (row-major: row 0's 4 tokens, then row 1's), tails and bias. */
    private static void finish(MemorySegment w, int kind, long o0, long o1, int cols, int upper, float[] x, int t, int x0, float[] bias, int r,
                               int rows, float[] out, float[] lanes) {
        for (int j = 0; j < 4; j++) {
            MatmulTiles.store(out, t + j, rows, r, bias, w, kind, o0, x, x0 + j * cols, upper, cols, MatmulTiles.laneSum(lanes, j * L));
            MatmulTiles.store(out, t + j, rows, r + 1, bias, w, kind, o1, x, x0 + j * cols, upper, cols, MatmulTiles.laneSum(lanes, (4 + j) * L));
        }
    }
}
