package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Register tiles of the float matrix multiply: 4 weight rows × 4 tokens (16 accumulators; each weight
 * vector feeds 4 FMAs and each activation vector 4), and the 4×1, 1×4 and 1×1 shapes for the edges.
 * Separate methods, not loops over arrays of vectors: the JIT keeps only named locals in registers.
 * The weights are F32, F16 or BF16 ({@code kind}); 16-bit weights are widened to floats in registers,
 * exactly ({@link RowDecoder#f16Finite}, {@link RowDecoder#bf16}), inside the dot-product loop.
 *
 * <p>Every output element is computed the same way whatever the tile: one vector accumulator over the
 * full vectors of the row, a fixed-order lane sum (lane i + lane i+L/2, then +L/4, ...), then the tail elements one by
 * one with fma. The 1×1 tiles fold their accumulator in registers, written out in the tile; the others spill their
 * accumulators to the {@code lanes} array and sum them there ({@link #laneSum}, {@link #laneSums16}): a vector passed
 * to a method that C2 did not inline is boxed on the heap, and a tile's compiled body is big enough to reach C2's
 * inlining node budget (the 4×1 F16 tile of a decoding step did, and allocated 192 bytes per tile: 147 kB per 3072×768
 * matmul). So a
 * token's result does not depend on how many tokens share the call (batched verification gives the
 * same bits as single-token decoding).
 *
 * <p>{@code w} holds rows of {@code cols} weights of the given kind, {@code stride} bytes apart, starting at
 * {@code w0} (bytes); {@code x} holds token rows of {@code cols} floats; results go to {@code out[t·rows + r]}.
 */
final class MatmulTiles {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final int L = VectorMath.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** Weight kinds: F32 rows, F16 rows without infinities or NaNs, BF16 rows. */
    static final int F32 = 0;
    static final int F16 = 1;
    static final int BF16 = 2;

    private MatmulTiles() {
    }

    /**
     * The tile kind of a dtype, or -1 when the tiles cannot read it directly. F16 weights are read directly only when
     * {@code finiteHalfs} (none is an infinity or NaN): that keeps the widening short enough to inline.
     */
    static int kind(DType dtype, boolean finiteHalfs) {
        return switch (dtype) {
            case F32 -> F32;
            case F16 -> finiteHalfs ? F16 : -1;
            case BF16 -> BF16;
            default -> -1;
        };
    }

    /** Bytes per weight of a kind. */
    static int elementBytes(int kind) {
        return kind == F32 ? 4 : 2;
    }

    /** L F32 weights starting at byte {@code offset} (the 4-row F32 tiles: kind is always F32 there). */
    private static FloatVector wF32(MemorySegment w, long offset) {
        return FloatVector.fromMemorySegment(F, w, offset, LE);
    }

    /** L weights starting at byte {@code offset}, as floats. */
    private static FloatVector w(MemorySegment w, long offset, int kind) {
        if (kind == F32) return FloatVector.fromMemorySegment(F, w, offset, LE);
        return wHalf(w, offset, kind);
    }

    /**
     * L 16-bit weights (F16 or BF16) starting at byte {@code offset}, as floats. The tiles that widen in registers have copies
     * that call only this ({@code tile4x4Half}, {@code tile4x1Half}, {@code tile1x1Half}): the JIT profiles a branch per method, not per caller, so a
     * model whose decode steps widen F16 in registers while its longer passes run F32 tiles on decoded rows would
     * otherwise compile one tile for both and merge vectors of both paths.
     */
    private static FloatVector wHalf(MemorySegment w, long offset, int kind) {
        ShortVector s = ShortVector.fromMemorySegment(RowDecoder.S, w, offset, LE);
        return kind == F16 ? RowDecoder.f16Finite(s) : RowDecoder.bf16(s);
    }

    private static float scalar(MemorySegment w, long offset, int kind) {
        if (kind == F32) return w.get(FLOAT, offset);
        short bits = w.get(SHORT, offset);
        return kind == F16 ? Halfs.f16ToFloat(bits) : Halfs.bf16ToFloat(bits);
    }

    private static float tail(MemorySegment w, long rowStart, int kind, float[] x, int xRow, int upper, int cols, float sum) {
        int es = elementBytes(kind);
        for (int c = upper; c < cols; c++) sum = Math.fma(scalar(w, rowStart + (long) es * c, kind), x[xRow + c], sum);
        return sum;
    }

    private static float bias(float[] bias, int r) {
        return bias == null ? 0f : bias[r];
    }

    static void tile4x4(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector w0v = wF32(w, o0 + b);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            a02 = w0v.fma(v2, a02);
            a03 = w0v.fma(v3, a03);
            FloatVector w1v = wF32(w, o1 + b);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            a12 = w1v.fma(v2, a12);
            a13 = w1v.fma(v3, a13);
            FloatVector w2v = wF32(w, o2 + b);
            a20 = w2v.fma(v0, a20);
            a21 = w2v.fma(v1, a21);
            a22 = w2v.fma(v2, a22);
            a23 = w2v.fma(v3, a23);
            FloatVector w3v = wF32(w, o3 + b);
            a30 = w3v.fma(v0, a30);
            a31 = w3v.fma(v1, a31);
            a32 = w3v.fma(v2, a32);
            a33 = w3v.fma(v3, a33);
        }
        // token-major: the sums of one token's 4 rows end up side by side (storeTile)
        a00.intoArray(lanes, 0 * L);
        a10.intoArray(lanes, 1 * L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
        a01.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a21.intoArray(lanes, 6 * L);
        a31.intoArray(lanes, 7 * L);
        a02.intoArray(lanes, 8 * L);
        a12.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a32.intoArray(lanes, 11 * L);
        a03.intoArray(lanes, 12 * L);
        a13.intoArray(lanes, 13 * L);
        a23.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        laneSums16(lanes);
        storeTile(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
    }

    /**
     * Rows r..r+3 against tokens t..t+4: the 4×4 tile with a fifth token (20 accumulators, 5 activation vectors: fits the 32
     * registers of AVX-512), so a pass of 5, 9, 13, ... tokens reads each weight vector once per 5 tokens instead of
     * running a 4×1 tile over the block again. Each output is computed as in every other tile. F32 rows only: a copy that
     * widened 16-bit weights in registers ran 2x slower than the 4×4 and 4×1 tiles it replaced.
     */
    static void tile4x5(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int x4 = x3 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        FloatVector a04 = a00, a14 = a00, a24 = a00, a34 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector v4 = FloatVector.fromArray(F, x, x4 + c);
            FloatVector w0v = wF32(w, o0 + b);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            a02 = w0v.fma(v2, a02);
            a03 = w0v.fma(v3, a03);
            a04 = w0v.fma(v4, a04);
            FloatVector w1v = wF32(w, o1 + b);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            a12 = w1v.fma(v2, a12);
            a13 = w1v.fma(v3, a13);
            a14 = w1v.fma(v4, a14);
            FloatVector w2v = wF32(w, o2 + b);
            a20 = w2v.fma(v0, a20);
            a21 = w2v.fma(v1, a21);
            a22 = w2v.fma(v2, a22);
            a23 = w2v.fma(v3, a23);
            a24 = w2v.fma(v4, a24);
            FloatVector w3v = wF32(w, o3 + b);
            a30 = w3v.fma(v0, a30);
            a31 = w3v.fma(v1, a31);
            a32 = w3v.fma(v2, a32);
            a33 = w3v.fma(v3, a33);
            a34 = w3v.fma(v4, a34);
        }
        // token-major: the sums of one token's 4 rows end up side by side (storeTile)
        a00.intoArray(lanes, 0 * L);
        a10.intoArray(lanes, 1 * L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
        a01.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a21.intoArray(lanes, 6 * L);
        a31.intoArray(lanes, 7 * L);
        a02.intoArray(lanes, 8 * L);
        a12.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a32.intoArray(lanes, 11 * L);
        a03.intoArray(lanes, 12 * L);
        a13.intoArray(lanes, 13 * L);
        a23.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        laneSums16(lanes);
        storeTile(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
        a04.intoArray(lanes, 0);
        a14.intoArray(lanes, L);
        a24.intoArray(lanes, 2 * L);
        a34.intoArray(lanes, 3 * L);
        storeColumn(out, t + 4, rows, r, bias, w, kind, o0, stride, g, x, x4, upper, cols, lanes);
    }

    /** Rows r..r+3 against tokens t and t+1: the 4×4 tile's operations for two tokens (8 accumulators). */
    static void tile4x2(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector w0v = wF32(w, o0 + b);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            FloatVector w1v = wF32(w, o1 + b);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            FloatVector w2v = wF32(w, o2 + b);
            a20 = w2v.fma(v0, a20);
            a21 = w2v.fma(v1, a21);
            FloatVector w3v = wF32(w, o3 + b);
            a30 = w3v.fma(v0, a30);
            a31 = w3v.fma(v1, a31);
        }
        // token-major, as in the 4×4 tiles
        a00.intoArray(lanes, 0);
        a10.intoArray(lanes, L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
        a01.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a21.intoArray(lanes, 6 * L);
        a31.intoArray(lanes, 7 * L);
        laneSums8(lanes);
        storePairs(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
    }

    static void tile4x1(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v = FloatVector.fromArray(F, x, x0 + c);
            a0 = wF32(w, o0 + b).fma(v, a0);
            a1 = wF32(w, o1 + b).fma(v, a1);
            a2 = wF32(w, o2 + b).fma(v, a2);
            a3 = wF32(w, o3 + b).fma(v, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        storeColumn(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
    }

    static void tile4x4Half(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector w0v = wHalf(w, o0 + b, kind);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            a02 = w0v.fma(v2, a02);
            a03 = w0v.fma(v3, a03);
            FloatVector w1v = wHalf(w, o1 + b, kind);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            a12 = w1v.fma(v2, a12);
            a13 = w1v.fma(v3, a13);
            FloatVector w2v = wHalf(w, o2 + b, kind);
            a20 = w2v.fma(v0, a20);
            a21 = w2v.fma(v1, a21);
            a22 = w2v.fma(v2, a22);
            a23 = w2v.fma(v3, a23);
            FloatVector w3v = wHalf(w, o3 + b, kind);
            a30 = w3v.fma(v0, a30);
            a31 = w3v.fma(v1, a31);
            a32 = w3v.fma(v2, a32);
            a33 = w3v.fma(v3, a33);
        }
        // token-major: the sums of one token's 4 rows end up side by side (storeTile)
        a00.intoArray(lanes, 0 * L);
        a10.intoArray(lanes, 1 * L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
        a01.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a21.intoArray(lanes, 6 * L);
        a31.intoArray(lanes, 7 * L);
        a02.intoArray(lanes, 8 * L);
        a12.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a32.intoArray(lanes, 11 * L);
        a03.intoArray(lanes, 12 * L);
        a13.intoArray(lanes, 13 * L);
        a23.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        laneSums16(lanes);
        storeTile(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
    }

    /** {@link #tile4x2} for 16-bit weights widened in registers (its own copy: see {@link #wHalf}). */
    static void tile4x2Half(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        int x1 = x0 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector w0v = wHalf(w, o0 + b, kind);
            a00 = w0v.fma(v0, a00);
            a01 = w0v.fma(v1, a01);
            FloatVector w1v = wHalf(w, o1 + b, kind);
            a10 = w1v.fma(v0, a10);
            a11 = w1v.fma(v1, a11);
            FloatVector w2v = wHalf(w, o2 + b, kind);
            a20 = w2v.fma(v0, a20);
            a21 = w2v.fma(v1, a21);
            FloatVector w3v = wHalf(w, o3 + b, kind);
            a30 = w3v.fma(v0, a30);
            a31 = w3v.fma(v1, a31);
        }
        // token-major, as in the 4×4 tiles
        a00.intoArray(lanes, 0);
        a10.intoArray(lanes, L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
        a01.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a21.intoArray(lanes, 6 * L);
        a31.intoArray(lanes, 7 * L);
        laneSums8(lanes);
        storePairs(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
    }

    static void tile4x1Half(MemorySegment w, int kind, long w0, long stride, int g, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        long o0 = w0;
        long o1 = w0 + stride;
        long o2 = w0 + 2 * stride;
        long o3 = w0 + 3 * stride;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < upper; c += L) {
            long b = (long) es * g * c;
            FloatVector v = FloatVector.fromArray(F, x, x0 + c);
            a0 = wHalf(w, o0 + b, kind).fma(v, a0);
            a1 = wHalf(w, o1 + b, kind).fma(v, a1);
            a2 = wHalf(w, o2 + b, kind).fma(v, a2);
            a3 = wHalf(w, o3 + b, kind).fma(v, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        storeColumn(out, t, rows, r, bias, w, kind, o0, stride, g, x, x0, upper, cols, lanes);
    }

    static void tile1x4(MemorySegment w, int kind, long w0, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < upper; c += L) {
            FloatVector wv = w(w, w0 + (long) es * c, kind);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
        }
        a0.intoArray(lanes, 0 * L);
        a1.intoArray(lanes, 1 * L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        store(out, t, rows, r, bias, w, kind, w0, x, x0, upper, cols, laneSum(lanes, 0 * L));
        store(out, t + 1, rows, r, bias, w, kind, w0, x, x1, upper, cols, laneSum(lanes, 1 * L));
        store(out, t + 2, rows, r, bias, w, kind, w0, x, x2, upper, cols, laneSum(lanes, 2 * L));
        store(out, t + 3, rows, r, bias, w, kind, w0, x, x3, upper, cols, laneSum(lanes, 3 * L));
    }

    static void tile1x1(MemorySegment w, int kind, long w0, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        int x0 = t * cols;
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < upper; c += L) {
            a = w(w, w0 + (long) es * c, kind).fma(FloatVector.fromArray(F, x, x0 + c), a);
        }
        // the lane sum folded in registers, in laneSum's order (written out here: a vector must not cross a call)
        if (L >= 16) a = a.add(a.rearrange(VectorMath.FOLD_8));
        if (L >= 8) a = a.add(a.rearrange(VectorMath.FOLD_4));
        if (L >= 4) a = a.add(a.rearrange(VectorMath.FOLD_2));
        a = a.add(a.rearrange(VectorMath.FOLD_1));
        store(out, t, rows, r, bias, w, kind, w0, x, x0, upper, cols, a.lane(0));
    }

    static void tile1x1Half(MemorySegment w, int kind, long w0, int cols, float[] x, int t, float[] bias, int r, int rows, float[] out, float[] lanes) {
        int upper = cols - cols % L;
        int es = elementBytes(kind);
        int x0 = t * cols;
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < upper; c += L) {
            a = wHalf(w, w0 + (long) es * c, kind).fma(FloatVector.fromArray(F, x, x0 + c), a);
        }
        // the lane sum folded in registers, in laneSum's order (written out here: a vector must not cross a call)
        if (L >= 16) a = a.add(a.rearrange(VectorMath.FOLD_8));
        if (L >= 8) a = a.add(a.rearrange(VectorMath.FOLD_4));
        if (L >= 4) a = a.add(a.rearrange(VectorMath.FOLD_2));
        a = a.add(a.rearrange(VectorMath.FOLD_1));
        store(out, t, rows, r, bias, w, kind, w0, x, x0, upper, cols, a.lane(0));
    }

    /**
     * The sum of L lanes spilled to {@code lanes[at ..]}, folded pairwise in exactly the order of
     * {@link VectorMath#sum} (lane i + lane i+L/2, then +L/4, ...), so both give the same bits. Spilling the accumulators with intoArray and summing in scalar code keeps
     * every vector inside the tile method (a vector handed to another method may be boxed on the heap).
     */
    /**
     * The 16 lane sums of 16 accumulators spilled to {@code lanes[0 .. 16·L)}, each exactly {@link #laneSum}, written to
     * {@code lanes[0 .. 16)}. With 16 lanes the folds run on whole vectors: each step adds pairs of lanes taken from two
     * vectors at once (two-vector selects), so one add folds two accumulators, and the 16 folded sums end up in one
     * vector (15 vector adds instead of 240 scalar ones). Every pair added is the pair laneSum adds, so the same bits.
     */
    static void laneSums16(float[] lanes) {
        if (L != 16) {
            for (int n = 0; n < 16; n++) lanes[n] = laneSum(lanes, n * L); // lanes[n] lies in a vector already summed
            return;
        }
        FloatVector v0 = FloatVector.fromArray(F, lanes, 0 * L), v1 = FloatVector.fromArray(F, lanes, 1 * L);
        FloatVector v2 = FloatVector.fromArray(F, lanes, 2 * L), v3 = FloatVector.fromArray(F, lanes, 3 * L);
        FloatVector v4 = FloatVector.fromArray(F, lanes, 4 * L), v5 = FloatVector.fromArray(F, lanes, 5 * L);
        FloatVector v6 = FloatVector.fromArray(F, lanes, 6 * L), v7 = FloatVector.fromArray(F, lanes, 7 * L);
        FloatVector v8 = FloatVector.fromArray(F, lanes, 8 * L), v9 = FloatVector.fromArray(F, lanes, 9 * L);
        FloatVector v10 = FloatVector.fromArray(F, lanes, 10 * L), v11 = FloatVector.fromArray(F, lanes, 11 * L);
        FloatVector v12 = FloatVector.fromArray(F, lanes, 12 * L), v13 = FloatVector.fromArray(F, lanes, 13 * L);
        FloatVector v14 = FloatVector.fromArray(F, lanes, 14 * L), v15 = FloatVector.fromArray(F, lanes, 15 * L);
        FloatVector b0 = FOLD_8_LO.selectFrom(v0, v1).add(FOLD_8_HI.selectFrom(v0, v1));
        FloatVector b1 = FOLD_8_LO.selectFrom(v2, v3).add(FOLD_8_HI.selectFrom(v2, v3));
        FloatVector b2 = FOLD_8_LO.selectFrom(v4, v5).add(FOLD_8_HI.selectFrom(v4, v5));
        FloatVector b3 = FOLD_8_LO.selectFrom(v6, v7).add(FOLD_8_HI.selectFrom(v6, v7));
        FloatVector b4 = FOLD_8_LO.selectFrom(v8, v9).add(FOLD_8_HI.selectFrom(v8, v9));
        FloatVector b5 = FOLD_8_LO.selectFrom(v10, v11).add(FOLD_8_HI.selectFrom(v10, v11));
        FloatVector b6 = FOLD_8_LO.selectFrom(v12, v13).add(FOLD_8_HI.selectFrom(v12, v13));
        FloatVector b7 = FOLD_8_LO.selectFrom(v14, v15).add(FOLD_8_HI.selectFrom(v14, v15));
        FloatVector c0 = FOLD_4_LO.selectFrom(b0, b1).add(FOLD_4_HI.selectFrom(b0, b1));
        FloatVector c1 = FOLD_4_LO.selectFrom(b2, b3).add(FOLD_4_HI.selectFrom(b2, b3));
        FloatVector c2 = FOLD_4_LO.selectFrom(b4, b5).add(FOLD_4_HI.selectFrom(b4, b5));
        FloatVector c3 = FOLD_4_LO.selectFrom(b6, b7).add(FOLD_4_HI.selectFrom(b6, b7));
        FloatVector d0 = FOLD_2_LO.selectFrom(c0, c1).add(FOLD_2_HI.selectFrom(c0, c1));
        FloatVector d1 = FOLD_2_LO.selectFrom(c2, c3).add(FOLD_2_HI.selectFrom(c2, c3));
        FOLD_1_LO.selectFrom(d0, d1).add(FOLD_1_HI.selectFrom(d0, d1)).intoArray(lanes, 0);
    }

    /** {@link #laneSums16} for 8 accumulators spilled to {@code lanes[0 .. 8·L)}: their 8 lane sums to {@code lanes[0 .. 8)}. */
    static void laneSums8(float[] lanes) {
        if (L != 16) {
            for (int n = 0; n < 8; n++) lanes[n] = laneSum(lanes, n * L);
            return;
        }
        FloatVector v0 = FloatVector.fromArray(F, lanes, 0 * L), v1 = FloatVector.fromArray(F, lanes, 1 * L);
        FloatVector v2 = FloatVector.fromArray(F, lanes, 2 * L), v3 = FloatVector.fromArray(F, lanes, 3 * L);
        FloatVector v4 = FloatVector.fromArray(F, lanes, 4 * L), v5 = FloatVector.fromArray(F, lanes, 5 * L);
        FloatVector v6 = FloatVector.fromArray(F, lanes, 6 * L), v7 = FloatVector.fromArray(F, lanes, 7 * L);
        FloatVector b0 = FOLD_8_LO.selectFrom(v0, v1).add(FOLD_8_HI.selectFrom(v0, v1));
        FloatVector b1 = FOLD_8_LO.selectFrom(v2, v3).add(FOLD_8_HI.selectFrom(v2, v3));
        FloatVector b2 = FOLD_8_LO.selectFrom(v4, v5).add(FOLD_8_HI.selectFrom(v4, v5));
        FloatVector b3 = FOLD_8_LO.selectFrom(v6, v7).add(FOLD_8_HI.selectFrom(v6, v7));
        FloatVector c0 = FOLD_4_LO.selectFrom(b0, b1).add(FOLD_4_HI.selectFrom(b0, b1));
        FloatVector c1 = FOLD_4_LO.selectFrom(b2, b3).add(FOLD_4_HI.selectFrom(b2, b3));
        FloatVector d0 = FOLD_2_LO.selectFrom(c0, c1).add(FOLD_2_HI.selectFrom(c0, c1));
        // the last fold takes d0 twice: lanes 0..7 of the result are the 8 sums (8..15 repeat them)
        FOLD_1_LO.selectFrom(d0, d0).add(FOLD_1_HI.selectFrom(d0, d0)).intoArray(lanes, 0);
    }

    /*
     * Index vectors of the folds (two-vector selectFrom: 0..15 pick from the first vector, 16..31 from the second).
     * A fold of span s pairs lane i with lane i+s inside each group of 2s lanes: LO takes the first of every pair, HI
     * the second, from the first vector and then from the second, so the groups of both vectors stay side by side.
     */
    private static final FloatVector FOLD_8_LO = foldIndexes(8, 0), FOLD_8_HI = foldIndexes(8, 1);
    private static final FloatVector FOLD_4_LO = foldIndexes(4, 0), FOLD_4_HI = foldIndexes(4, 1);
    private static final FloatVector FOLD_2_LO = foldIndexes(2, 0), FOLD_2_HI = foldIndexes(2, 1);
    private static final FloatVector FOLD_1_LO = foldIndexes(1, 0), FOLD_1_HI = foldIndexes(1, 1);

    private static FloatVector foldIndexes(int span, int second) {
        float[] idx = new float[L];
        if (L != 16) return FloatVector.zero(F); // unused: laneSums16 folds in scalar code then
        int n = 0;
        for (int source = 0; source < 2; source++) {
            for (int group = 0; group < 16; group += 2 * span) {
                for (int i = 0; i < span; i++) idx[n++] = source * 16 + group + i + second * span;
            }
        }
        return FloatVector.fromArray(F, idx, 0);
    }

    static float laneSum(float[] lanes, int at) {
        if (L == 16) {
            float s0 = lanes[at] + lanes[at + 8];
            float s1 = lanes[at + 1] + lanes[at + 9];
            float s2 = lanes[at + 2] + lanes[at + 10];
            float s3 = lanes[at + 3] + lanes[at + 11];
            float s4 = lanes[at + 4] + lanes[at + 12];
            float s5 = lanes[at + 5] + lanes[at + 13];
            float s6 = lanes[at + 6] + lanes[at + 14];
            float s7 = lanes[at + 7] + lanes[at + 15];
            return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
        }
        for (int half = L / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) lanes[at + i] += lanes[at + i + half];
        }
        return lanes[at];
    }

    /**
     * Finishes the 16 outputs of a 4×4 tile (rows r.., tokens t..) from the lane sums in {@code lanes[0 .. 16)}, token-major
     * (token j's rows at 4j..4j+3). Without tail columns, one 4-float add per token adds the bias (or +0, as the scalar path).
     */
    private static void storeTile(float[] out, int t, int rows, int r, float[] bias, MemorySegment w, int kind, long o0, long stride,
                                  int g, float[] x, int x0, int upper, int cols, float[] lanes) {
        if (upper == cols) {
            FloatVector b = bias == null ? FloatVector.zero(F4) : FloatVector.fromArray(F4, bias, r);
            for (int j = 0; j < 4; j++) FloatVector.fromArray(F4, lanes, 4 * j).add(b).intoArray(out, (t + j) * rows + r);
            return;
        }
        for (int i = 0; i < 4; i++) {
            long rowStart = rowStart(kind, o0, stride, g, i, upper, cols);
            for (int j = 0; j < 4; j++) {
                store(out, t + j, rows, r + i, bias, w, kind, rowStart, x, x0 + j * cols, upper, cols, lanes[j * 4 + i]);
            }
        }
    }

    /** Finishes the 8 outputs of a 4×2 tile (rows r.., tokens t and t+1) from its 8 lane sums, token-major. */
    private static void storePairs(float[] out, int t, int rows, int r, float[] bias, MemorySegment w, int kind, long o0, long stride,
                                   int g, float[] x, int x0, int upper, int cols, float[] lanes) {
        if (upper == cols) {
            FloatVector b = bias == null ? FloatVector.zero(F4) : FloatVector.fromArray(F4, bias, r);
            FloatVector.fromArray(F4, lanes, 0).add(b).intoArray(out, t * rows + r);
            FloatVector.fromArray(F4, lanes, 4).add(b).intoArray(out, (t + 1) * rows + r);
            return;
        }
        for (int i = 0; i < 4; i++) {
            long rowStart = rowStart(kind, o0, stride, g, i, upper, cols);
            for (int j = 0; j < 2; j++) store(out, t + j, rows, r + i, bias, w, kind, rowStart, x, x0 + j * cols, upper, cols, lanes[j * 4 + i]);
        }
    }

    /**
     * Finishes the 4 outputs of a 4×1 tile (rows r.. of token t) from its spilled lanes, one by one: a 4-float store of sums
     * written one at a time would wait for them (no store forwarding), and measured slower.
     */
    private static void storeColumn(float[] out, int t, int rows, int r, float[] bias, MemorySegment w, int kind, long o0, long stride,
                                    int g, float[] x, int xRow, int upper, int cols, float[] lanes) {
        for (int i = 0; i < 4; i++) {
            store(out, t, rows, r + i, bias, w, kind, rowStart(kind, o0, stride, g, i, upper, cols), x, xRow, upper, cols, laneSum(lanes, i * L));
        }
    }

    /**
     * Where row i of a 4-row tile starts, for reading its tail columns (from {@code upper} on) at {@code rowStart + es·c}.
     * Plain rows (g = 1) lie {@code stride} bytes apart. In a packed block (g = 4, see {@link PackedWeights}) the four rows'
     * vectors are interleaved and their tails follow them, row after row.
     */
    private static long rowStart(int kind, long o0, long stride, int g, int i, int upper, int cols) {
        if (g == 1) return o0 + i * stride;
        long es = elementBytes(kind);
        return o0 + es * (4L * upper + (long) i * (cols - upper) - upper);
    }

    /** Finishes one output: the lane sum (done by the caller), the tail, the bias. */
    private static void store(float[] out, int t, int rows, int r, float[] bias, MemorySegment w, int kind, long rowStart,
                              float[] x, int xRow, int upper, int cols, float laneSum) {
        float sum = upper == cols ? laneSum : tail(w, rowStart, kind, x, xRow, upper, cols, laneSum);
        out[t * rows + r] = sum + bias(bias, r);
    }
}
