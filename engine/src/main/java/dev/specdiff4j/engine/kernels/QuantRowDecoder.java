package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.BlockQuants;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Rows of the Q4_0 / Q5_0 / Q5_1 / k-quant tensors as floats, for the buffered matmul path. Q4_0, Q4_K and Q6_K are
 * decoded sixteen values at a time (nibbles and high bits unpacked in byte lanes, widened to floats); every weight is
 * computed with the same float operations in the same order as the scalar reference dequantizer ({@link BlockQuants}):
 * (q − 8)·d, (d·sc)·q − dmin·m, (d·sc)·(q − 32), without fused multiply-adds, so the floats are identical and the matmul
 * result does not depend on which path decoded the row. The other formats, and vector shapes other than 16 floats,
 * use the scalar reference.
 */
final class QuantRowDecoder {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final boolean VECTOR = VectorMath.L == 16;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private QuantRowDecoder() {
    }

    /** Decodes rows [firstRow, firstRow + n) of {@code w} into {@code dst} (n·cols floats, native memory). */
    static void decode(Tensor w, int firstRow, int n, MemorySegment dst) {
        int cols = w.cols();
        DType type = w.dtype();
        long rowBytes = w.rowBytes();
        int block = type.blockElements();
        int blockBytes = type.blockBytes();
        MemorySegment seg = w.data();
        if (VECTOR && (type == DType.Q4_0 || type == DType.Q4_K || type == DType.Q6_K)) {
            int blocks = cols / block;
            for (int r = 0; r < n; r++) {
                long at = (firstRow + r) * rowBytes;
                long out = 4L * r * cols;
                switch (type) {
                    case Q4_0 -> {
                        for (int b = 0; b < blocks; b++) q4_0(seg, at + (long) b * blockBytes, dst, out + 4L * b * block);
                    }
                    case Q4_K -> {
                        for (int b = 0; b < blocks; b++) q4K(seg, at + (long) b * blockBytes, dst, out + 4L * b * block);
                    }
                    default -> {
                        for (int b = 0; b < blocks; b++) q6K(seg, at + (long) b * blockBytes, dst, out + 4L * b * block);
                    }
                }
            }
            return;
        }
        float[] row = ROW.get();
        if (row.length < cols) {
            row = new float[cols];
            ROW.set(row);
        }
        for (int r = 0; r < n; r++) {
            long at = (firstRow + r) * rowBytes;
            for (int b = 0; b < cols / block; b++) BlockQuants.dequantizeBlock(type, seg, at + (long) b * blockBytes, row, b * block);
            MemorySegment.copy(row, 0, dst, FLOAT, 4L * r * cols, cols);
        }
    }

    /** One Q4_0 block: (q − 8)·d. */
    private static void q4_0(MemorySegment seg, long at, MemorySegment dst, long o) {
        float d = Halfs.f16ToFloat(seg.get(SHORT, at));
        ByteVector q = ByteVector.fromMemorySegment(B, seg, at + 2, LE);
        ((FloatVector) (q.and((byte) 0x0F).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoMemorySegment(dst, o, LE);
        ((FloatVector) (q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoMemorySegment(dst, o + 64, LE);
    }

    /** One Q4_K super-block: per 32-value group, (d·sc)·q − dmin·m. */
    private static void q4K(MemorySegment seg, long at, MemorySegment dst, long o) {
        float d = Halfs.f16ToFloat(seg.get(SHORT, at));
        float dmin = Halfs.f16ToFloat(seg.get(SHORT, at + 2));
        // the 12 packed bytes in two reads: bytes 0-7 and 8-11
        long first8 = seg.get(LONG, at + 4);
        int last4 = seg.get(INT, at + 12);
        for (int j = 0; j < 4; j++) {
            float d1 = d * scale(first8, last4, 2 * j);
            float m1 = dmin * min(first8, last4, 2 * j);
            float d2 = d * scale(first8, last4, 2 * j + 1);
            float m2 = dmin * min(first8, last4, 2 * j + 1);
            for (int h = 0; h < 2; h++) {
                ByteVector q = ByteVector.fromMemorySegment(B, seg, at + 16 + 32L * j + 16L * h, LE);
                long y = o + 4L * (64 * j + 16 * h);
                ((FloatVector) (q.and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).mul(d1).sub(m1).intoMemorySegment(dst, y, LE);
                ((FloatVector) (q.lanewise(VectorOperators.LSHR, 4)).convertShape(VectorOperators.B2F, F, 0)).mul(d2).sub(m2).intoMemorySegment(dst, y + 128, LE);
            }
        }
    }

    /** Packed byte i (0..11) of a k-quant scale block read as bytes 0-7 ({@code p}) and 8-11 ({@code q}). */
    static int b(long p, int q, int i) {
        return i < 8 ? (int) (p >>> (8 * i)) & 0xFF : (q >>> (8 * (i - 8))) & 0xFF;
    }

    /** The 6-bit scale of group j, as get_scale_min_k4. */
    static int scale(long p, int q, int j) {
        return j < 4 ? b(p, q, j) & 63 : (b(p, q, j + 4) & 0xF) | ((b(p, q, j - 4) >> 6) << 4);
    }

    /** The 6-bit min of group j, as get_scale_min_k4. */
    static int min(long p, int q, int j) {
        return j < 4 ? b(p, q, j + 4) & 63 : (b(p, q, j + 4) >> 4) | ((b(p, q, j) >> 6) << 4);
    }

    /**
     * One Q6_K super-block: per 16-value group, (d·sc)·(q − 32), q from a low nibble and two high bits. Each group goes
     * through {@link #q6Group}, whose arguments are all scalars, and no vector is passed to a method anywhere here:
     * the 16 groups' byte-lane operations outgrow C2's inlining budget, and a call it leaves out receives its vectors
     * boxed (a 3072×768 one-token matmul allocated 5.3 MB, docs/notes/16-kernels-round6.md).
     */
    private static void q6K(MemorySegment seg, long at, MemorySegment dst, long o) {
        float d = Halfs.f16ToFloat(seg.get(SHORT, at + 208));
        for (int half = 0; half < 2; half++) {
            long ql = at + 64L * half;
            long qh = at + 128 + 32L * half;
            long sc = at + 192 + 8L * half;
            for (int i = 0; i < 32; i += 16) {
                int is = i / 16;
                long y = o + 4L * (128 * half + i);
                q6Group(seg, ql + i, 0, qh + i, 0, d * seg.get(ValueLayout.JAVA_BYTE, sc + is), dst, y);
                q6Group(seg, ql + 32 + i, 0, qh + i, 2, d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2), dst, y + 128);
                q6Group(seg, ql + i, 4, qh + i, 4, d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4), dst, y + 256);
                q6Group(seg, ql + 32 + i, 4, qh + i, 6, d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6), dst, y + 384);
            }
        }
    }

    /**
     * 16 Q6_K weights: the nibble at bit {@code lowShift} of the bytes at {@code low}, the two bits at {@code highShift}
     * of the bytes at {@code high} above it, minus 32, times {@code scale}, stored as floats at byte {@code y} of dst.
     */
    private static void q6Group(MemorySegment seg, long low, int lowShift, long high, int highShift, float scale, MemorySegment dst, long y) {
        ByteVector lo = ByteVector.fromMemorySegment(B, seg, low, LE).lanewise(VectorOperators.LSHR, lowShift).and((byte) 0x0F);
        ByteVector hi = ByteVector.fromMemorySegment(B, seg, high, LE).lanewise(VectorOperators.LSHR, highShift).and((byte) 3);
        ((FloatVector) (lo.or(hi.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32)).convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoMemorySegment(dst, y, LE);
    }
}
