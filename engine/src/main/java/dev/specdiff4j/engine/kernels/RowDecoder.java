package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Q8;
import dev.specdiff4j.engine.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Turns rows of a weight tensor into floats, exactly (F16, BF16 and Q8_0 values are all representable
 * in float, and d·q of Q8_0 needs at most 18 significant bits). This is the only dtype-specific code of
 * the vector kernels: matmul decodes a few rows into a small buffer and runs the F32 kernel on it.
 */
final class RowDecoder {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int L = VectorMath.L;
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.length() == L
            ? IntVector.SPECIES_PREFERRED : VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final float F16_SCALE = 0x1p112f;

    private RowDecoder() {
    }

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT_LE = SHORT.withOrder(LE);
    private static final ValueLayout.OfFloat FLOAT_LE = FLOAT.withOrder(LE);

    /** Decodes rows [firstRow, firstRow + n) of {@code w} into {@code dst} (n·cols floats, native memory). */
    static void decode(Tensor w, int firstRow, int n, MemorySegment dst) {
        int cols = w.cols();
        MemorySegment seg = w.data();
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(seg, (long) firstRow * cols * 4, dst, 0, 4L * n * cols);
            case F16 -> f16(seg, (long) firstRow * cols * 2, n * cols, dst);
            case BF16 -> bf16(seg, (long) firstRow * cols * 2, n * cols, dst);
            case Q8_0 -> q8(seg, (long) firstRow * (cols / Q8.BLOCK) * Q8.BLOCK_BYTES, n * cols, dst);
            default -> QuantRowDecoder.decode(w, firstRow, n, dst);
        }
    }

    private static void f16(MemorySegment seg, long offset, int count, MemorySegment dst) {
        int upper = count - count % L;
        int i = 0;
        for (; i < upper; i += L) {
            f16(ShortVector.fromMemorySegment(S, seg, offset + 2L * i, LE)).intoMemorySegment(dst, 4L * i, LE);
        }
        for (; i < count; i++) dst.set(FLOAT, 4L * i, Halfs.f16ToFloat(seg.get(SHORT, offset + 2L * i)));
    }

    /**
     * {@code count} halfs at byte {@code offset} of {@code seg}, none of them an infinity or NaN, into {@code floats} (and
     * into {@code dst} as well unless it is null). A plain conversion loop read straight from the segment: C2 (JDK 25)
     * compiles it into vcvtph2ps over the segment, one instruction per vector where the Vector API needs four, and one
     * sequential stream of the 4-row block where the register tiles read four rows side by side. Exact for every finite
     * half; infinities and NaNs are left to {@link #f16(ShortVector)}, whose NaN payloads are the JDK's scalar ones.
     */
    static void f16FiniteRows(MemorySegment seg, long offset, int count, float[] floats, MemorySegment dst) {
        for (int i = 0; i < count; i++) floats[i] = Float.float16ToFloat(seg.get(SHORT_LE, offset + 2L * i));
        if (dst != null) MemorySegment.copy(floats, 0, dst, FLOAT_LE, 0, count);
    }

    /**
     * {@code count} F16 (none of them an infinity or NaN) or BF16 values at byte {@code offset} of {@code seg} into
     * {@code floats}, exactly: the packed blocks of a long pass ({@link PackedWeights}), whatever their layout.
     */
    static void halfsToFloats(DType dtype, MemorySegment seg, long offset, int count, float[] floats) {
        if (dtype == DType.F16) {
            f16FiniteRows(seg, offset, count, floats, null);
            return;
        }
        if (dtype != DType.BF16) throw new IllegalArgumentException(dtype + " is not a 16-bit float type");
        int upper = count - count % L;
        int i = 0;
        for (; i < upper; i += L) bf16(ShortVector.fromMemorySegment(S, seg, offset + 2L * i, LE)).intoArray(floats, i);
        for (; i < count; i++) floats[i] = Halfs.bf16ToFloat(seg.get(SHORT, offset + 2L * i));
    }

    private static void bf16(MemorySegment seg, long offset, int count, MemorySegment dst) {
        int upper = count - count % L;
        int i = 0;
        for (; i < upper; i += L) {
            bf16(ShortVector.fromMemorySegment(S, seg, offset + 2L * i, LE)).intoMemorySegment(dst, 4L * i, LE);
        }
        for (; i < count; i++) dst.set(FLOAT, 4L * i, Halfs.bf16ToFloat(seg.get(SHORT, offset + 2L * i)));
    }

    /** L halfs (F16 bit patterns) as floats, exactly as {@link Float#float16ToFloat}. */
    static FloatVector f16(ShortVector s) {
        IntVector shifted = shiftedHalf(s);
        IntVector bits = shifted.reinterpretAsFloats().mul(F16_SCALE).reinterpretAsInts();
        // infinity and NaN (exponent all ones) came out as 2^16 times 1.mantissa: set the float exponent to all ones
        VectorMask<Integer> special = shifted.and(0x0F800000).compare(VectorOperators.EQ, 0x0F800000);
        return bits.lanewise(VectorOperators.OR, 0x7F800000, special).reinterpretAsFloats();
    }

    /**
     * L halfs as floats, exactly, when none of them is an infinity or NaN (see {@link #hasInfOrNaN}); half the
     * operations of {@link #f16(ShortVector)}, small enough for the JIT to inline four of them into a matmul tile.
     */
    static FloatVector f16Finite(ShortVector s) {
        // normal and subnormal halfs: the shifted bits, as a float scaled by 2^(127-15), are the value (sign included)
        return shiftedHalf(s).reinterpretAsFloats().mul(F16_SCALE);
    }

    /**
     * Sign-extended, then shifted left by 13: the half's exponent and mantissa land on bits 13..27 where a float's low
     * exponent and mantissa bits are, and the extended sign lands on bit 31.
     */
    private static IntVector shiftedHalf(ShortVector s) {
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
    }

    /** Whether any of the {@code count} halfs at {@code offset} is an infinity or a NaN (exponent all ones). */
    static boolean hasInfOrNaN(MemorySegment seg, long offset, long count) {
        int sl = S.length();
        long upper = count - count % sl;
        long i = 0;
        for (; i < upper; i += sl) {
            ShortVector s = ShortVector.fromMemorySegment(S, seg, offset + 2 * i, LE);
            if (s.and((short) 0x7C00).compare(VectorOperators.EQ, (short) 0x7C00).anyTrue()) return true;
        }
        for (; i < count; i++) {
            if ((seg.get(SHORT, offset + 2 * i) & 0x7C00) == 0x7C00) return true;
        }
        return false;
    }

    /** L bfloat16 bit patterns as floats: the upper halves of the float bits. */
    static FloatVector bf16(ShortVector s) {
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static void q8(MemorySegment seg, long offset, int count, MemorySegment dst) {
        int blocks = count / Q8.BLOCK;
        for (int b = 0; b < blocks; b++) {
            long at = offset + (long) b * Q8.BLOCK_BYTES;
            float d = Halfs.f16ToFloat(seg.get(SHORT, at));
            int base = b * Q8.BLOCK;
            if (L <= Q8.BLOCK) {
                for (int j = 0; j < Q8.BLOCK; j += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, seg, at + 2 + j, LE);
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoMemorySegment(dst, 4L * (base + j), LE);
                }
            } else {
                for (int j = 0; j < Q8.BLOCK; j++) dst.set(FLOAT, 4L * (base + j), d * seg.get(ValueLayout.JAVA_BYTE, at + 2 + j));
            }
        }
    }

}
