package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix [rows, cols] copied into the primitive array its dtype's kernels read: float[] for F32, short[]
 * bit patterns for F16 and BF16, byte[] Q8_0 blocks. Exactly one of the three arrays is set; {@code table} is the
 * {@link Halves} table that decodes its 16-bit values (null for F32).
 */
public record ArrayMatrix(DType dtype, int rows, int cols, float[] floats, short[] halves, byte[] blocks, float[] table) {

    public static ArrayMatrix of(Tensor t) {
        MemorySegment data = t.data();
        if (data.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(t + " is larger than a Java array can hold (2 GB)");
        }
        int elements = Math.toIntExact(t.elementCount());
        return switch (t.dtype()) {
            case F32 -> {
                float[] a = new float[elements];
                MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, a, 0, elements);
                yield new ArrayMatrix(DType.F32, t.rows(), t.cols(), a, null, null, null);
            }
            case F16, BF16 -> {
                short[] a = new short[elements];
                MemorySegment.copy(data, ValueLayout.JAVA_SHORT_UNALIGNED, 0, a, 0, elements);
                yield new ArrayMatrix(t.dtype(), t.rows(), t.cols(), null, a, null,
                        t.dtype() == DType.F16 ? Halves.sharedF16() : Halves.sharedBf16());
            }
            case Q8_0 -> new ArrayMatrix(DType.Q8_0, t.rows(), t.cols(), null, null, data.toArray(ValueLayout.JAVA_BYTE), Halves.sharedF16());
        };
    }

    /** The array the kernels read. */
    public Object data() {
        return floats != null ? floats : halves != null ? halves : blocks;
    }

    /** {@code out[t·rows + r] = bias[r] + x[t]·row r} for k rows of x. */
    public void matmul(float[] x, float[] bias, float[] out, int k) {
        switch (dtype) {
            case F32 -> MatmulKernels.f32(x, floats, bias, out, k, rows, cols);
            case F16 -> MatmulKernels.f16(x, halves, table, bias, out, k, rows, cols);
            case BF16 -> MatmulKernels.bf16(x, halves, table, bias, out, k, rows, cols);
            case Q8_0 -> MatmulKernels.q8(x, blocks, table, bias, out, k, rows, cols);
        }
    }

    /** {@code out[t] = row ids[t]} for k ids. */
    public void embed(int[] ids, float[] out, int k) {
        switch (dtype) {
            case F32 -> EmbeddingKernels.f32(floats, ids, out, k, cols);
            case F16 -> EmbeddingKernels.f16(halves, table, ids, out, k, cols);
            case BF16 -> EmbeddingKernels.bf16(halves, table, ids, out, k, cols);
            case Q8_0 -> EmbeddingKernels.q8(blocks, table, ids, out, k, cols);
        }
    }
}
