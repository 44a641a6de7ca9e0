package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Q8;
import dev.specdiff4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix [rows, cols] in the primitive arrays its dtype's kernels read, holding exactly the values of the
 * tensor:
 * <ul>
 *   <li>F32: {@code floats} are the values;</li>
 *   <li>F16, BF16: {@code words} hold the 16-bit patterns two to an int (element e in bits 16·(e mod 2)) and
 *       {@code table} decodes them ({@link Halfs#f16Table()}, {@link Halfs#bf16Table()}; one table per dtype, shared by
 *       every matrix, so that a device holds it once);</li>
 *   <li>Q8_0: {@code floats} are the block scales (F16 decoded, one per 32 values along a row) and {@code words}
 *       the signed 8-bit values four to an int (element e in bits 8·(e mod 4)).</li>
 * </ul>
 */
public record ArrayMatrix(DType dtype, int rows, int cols, float[] floats, int[] words, float[] table) {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    public static ArrayMatrix of(Tensor t) {
        long elements = t.elementCount();
        if (elements > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(t + " has more values than a Java array can hold");
        int n = (int) elements;
        MemorySegment data = t.data();
        return switch (t.dtype()) {
            case F32 -> {
                float[] a = new float[n];
                MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, a, 0, n);
                yield new ArrayMatrix(DType.F32, t.rows(), t.cols(), a, null, null);
            }
            case F16, BF16 -> {
                int[] words = new int[(n + 1) / 2];
                for (int e = 0; e < n; e++) words[e >> 1] |= (data.get(SHORT, 2L * e) & 0xFFFF) << ((e & 1) << 4);
                yield new ArrayMatrix(t.dtype(), t.rows(), t.cols(), null, words, t.dtype() == DType.F16 ? Tables.F16 : Tables.BF16);
            }
            case Q8_0 -> {
                int blocks = n / Q8.BLOCK;
                float[] scales = new float[blocks];
                int[] quants = new int[blocks * 8];
                for (int b = 0; b < blocks; b++) {
                    long at = (long) b * Q8.BLOCK_BYTES;
                    scales[b] = Halfs.f16ToFloat(data.get(SHORT, at));
                    for (int i = 0; i < 8; i++) quants[b * 8 + i] = data.get(INT, at + 2 + 4L * i);
                }
                yield new ArrayMatrix(DType.Q8_0, t.rows(), t.cols(), scales, quants, null);
            }
            // Q4_0, Q5_x and the k-quants have no device kernels yet: their exactly dequantized values run as F32
            default -> new ArrayMatrix(DType.F32, t.rows(), t.cols(), t.toFloatArray(), null, null);
        };
    }

    /**
     * The matrices' rows one after the other, as one matrix (q, k and v projections made one q|k|v matmul). Kept in their
     * dtype when they share one the kernels read; otherwise their exactly dequantized values, as F32.
     */
    public static ArrayMatrix stack(java.util.List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("nothing to stack");
        int cols = parts.get(0).cols();
        int rows = 0;
        for (Tensor t : parts) {
            if (t.cols() != cols) throw new IllegalArgumentException("cannot stack " + t + " under rows of " + cols + " columns");
            rows += t.rows();
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("a stack of " + rows + " x " + cols + " is too large for one Java array");
        java.util.List<ArrayMatrix> arrays = parts.stream().map(ArrayMatrix::of).toList();
        DType dtype = arrays.get(0).dtype();
        boolean same = arrays.stream().allMatch(a -> a.dtype() == dtype);
        int n = rows * cols;
        if (same && dtype != DType.F32) {
            if (dtype == DType.Q8_0) {
                float[] scales = new float[n / Q8.BLOCK];
                int[] quants = new int[n / 4];
                int block = 0;
                for (ArrayMatrix a : arrays) {
                    System.arraycopy(a.floats(), 0, scales, block, a.floats().length);
                    System.arraycopy(a.words(), 0, quants, block * 8, a.words().length);
                    block += a.floats().length;
                }
                return new ArrayMatrix(dtype, rows, cols, scales, quants, null);
            }
            int[] words = new int[(n + 1) / 2];
            int e = 0;
            for (ArrayMatrix a : arrays) {
                int count = a.rows() * a.cols();
                for (int i = 0; i < count; i++, e++) {
                    int bits = (a.words()[i >> 1] >>> ((i & 1) << 4)) & 0xFFFF; // element i of the part, 16 bits
                    words[e >> 1] |= bits << ((e & 1) << 4);
                }
            }
            return new ArrayMatrix(dtype, rows, cols, null, words, arrays.get(0).table());
        }
        float[] values = new float[n];
        int at = 0;
        for (Tensor t : parts) {
            float[] part = t.toFloatArray();
            System.arraycopy(part, 0, values, at, part.length);
            at += part.length;
        }
        return new ArrayMatrix(DType.F32, rows, cols, values, null, null);
    }

    private static final class Tables {
        static final float[] F16 = Halfs.f16Table();
        static final float[] BF16 = Halfs.bf16Table();
    }

    /** {@code out[t·rows + r] = bias[r] + x[t]·row r} for k rows of x. */
    public void matmul(float[] x, float[] bias, float[] out, int k) {
        int[] meta = Meta.rows(k);
        switch (dtype) {
            case F32 -> MatmulKernels.f32(x, floats, bias, out, meta, rows, cols);
            case F16, BF16 -> MatmulKernels.packed16(x, words, table, bias, out, meta, rows, cols);
            case Q8_0 -> MatmulKernels.q8(x, floats, words, bias, out, meta, rows, cols);
            default -> throw new IllegalStateException(dtype + " matrices are stored as F32");
        }
    }

    /** {@code out[t] = row ids[t]} for k ids. */
    public void embed(int[] ids, float[] out, int k) {
        int[] meta = Meta.rows(k);
        switch (dtype) {
            case F32 -> EmbeddingKernels.f32(floats, ids, out, meta, cols);
            case F16, BF16 -> EmbeddingKernels.packed16(words, table, ids, out, meta, cols);
            case Q8_0 -> EmbeddingKernels.q8(floats, words, ids, out, meta, cols);
            default -> throw new IllegalStateException(dtype + " matrices are stored as F32");
        }
    }
}
