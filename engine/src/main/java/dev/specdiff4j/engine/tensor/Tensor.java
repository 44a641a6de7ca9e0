package dev.specdiff4j.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A named, typed, shaped block of memory: a view into a memory-mapped weight file, or an off-heap copy
 * made when weights are converted at load time. Row-major; for a matrix, {@code shape = [rows, cols]}
 * and quantization blocks run along a row. The dtype is a property of the tensor, not of the model.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    public Tensor {
        shape = shape.clone();
        long elements = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            elements = Math.multiplyExact(elements, d);
        }
        long bytes = dtype.bytesFor(elements);
        if (bytes < 0) {
            throw new IllegalArgumentException(name + ": " + elements + " elements do not fill whole " + dtype + " blocks");
        }
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException(name + ": " + dtype + " " + Arrays.toString(shape) + " needs " + bytes
                    + " bytes, the data has " + data.byteSize());
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Rows of a matrix (the product of all but the last dimension). */
    public int rows() {
        long r = elementCount() / Math.max(1, cols());
        return Math.toIntExact(r);
    }

    /** Length of the last dimension. */
    public int cols() {
        return shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Bytes of one row (the last dimension). */
    public long rowBytes() {
        return dtype.bytesFor(cols());
    }

    /** Rows {@code from .. from+count} of a matrix as a tensor over the same memory (no copy). */
    public Tensor rowSlice(int from, int count) {
        if (from < 0 || count < 0 || from + count > rows()) {
            throw new IllegalArgumentException(name + ": rows " + from + ".." + (from + count) + " outside 0.." + rows());
        }
        return new Tensor(name, dtype, new long[] {count, cols()}, data.asSlice(from * rowBytes(), count * rowBytes()));
    }

    /** One element as a float (slow; for tests, tools and small tensors). */
    public float get(long index) {
        return switch (dtype) {
            case F32 -> data.get(FLOAT, index * 4);
            case F16 -> Halfs.f16ToFloat(data.get(SHORT, index * 2));
            case BF16 -> Halfs.bf16ToFloat(data.get(SHORT, index * 2));
            case Q8_0 -> {
                long block = (index / Q8.BLOCK) * Q8.BLOCK_BYTES;
                yield Halfs.f16ToFloat(data.get(SHORT, block)) * data.get(ValueLayout.JAVA_BYTE, block + 2 + index % Q8.BLOCK);
            }
            default -> {
                float[] one = new float[1];
                BlockQuants.dequantize(dtype, data, index, 1, one, 0);
                yield one[0];
            }
        };
    }

    /** Copies elements [from, from + n) as floats into {@code dst[dstOffset..]}. */
    public void read(long from, int n, float[] dst, int dstOffset) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, FLOAT, from * 4, dst, dstOffset, n);
            case Q8_0 -> Q8.dequantize(data, from, n, dst, dstOffset);
            case Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> BlockQuants.dequantize(dtype, data, from, n, dst, dstOffset);
            default -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = get(from + i);
            }
        }
    }

    /** All elements as floats (a heap copy; for small tensors such as biases and norms). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        read(0, out.length, out, 0);
        return out;
    }

    /** A tensor with a copy of {@code values} in the given dtype, allocated in {@code arena}. */
    public static Tensor of(String name, DType dtype, long[] shape, float[] values, Arena arena) {
        long count = 1;
        for (long d : shape) count *= d;
        if (count != values.length) throw new IllegalArgumentException(name + ": shape does not match " + values.length + " values");
        long bytes = dtype.bytesFor(count);
        if (bytes < 0) throw new IllegalArgumentException(name + ": " + count + " values do not fill whole " + dtype + " blocks");
        MemorySegment seg = arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
        writeFloats(values, 0, values.length, dtype, seg, 0);
        return new Tensor(name, dtype, shape, seg);
    }

    /** Encodes floats in a dtype into {@code dst}, element {@code dstElement} onwards (a whole-block position for the quantized types). */
    public static void writeFloats(float[] src, int offset, int n, DType dtype, MemorySegment dst, long dstElement) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, offset, dst, FLOAT, dstElement * 4, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(SHORT, (dstElement + i) * 2, Halfs.floatToF16(src[offset + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(SHORT, (dstElement + i) * 2, Halfs.floatToBf16(src[offset + i]));
            }
            case Q8_0 -> {
                if (dstElement % Q8.BLOCK != 0) throw new IllegalArgumentException("Q8_0 writes must start on a block");
                Q8.quantize(src, offset, n, dst, dstElement / Q8.BLOCK * Q8.BLOCK_BYTES);
            }
            default -> {
                if (dstElement % dtype.blockElements() != 0) throw new IllegalArgumentException(dtype + " writes must start on a block");
                BlockQuants.quantize(dtype, src, offset, n, dst, dstElement / dtype.blockElements() * dtype.blockBytes());
            }
        }
    }

    /**
     * A copy of this tensor in another dtype, optionally transposed (a matrix [a, b] becomes [b, a]), in
     * {@code arena}. Converts row by row, so no full float copy of the tensor is ever on the heap.
     */
    public Tensor convert(DType target, boolean transpose, Arena arena) {
        if (!transpose && target == dtype) return this;
        if (transpose && rank() != 2) throw new IllegalArgumentException(name + ": only a matrix can be transposed");
        int rows = transpose ? cols() : rows();
        int cols = transpose ? rows() : cols();
        long[] newShape = transpose ? new long[] {shape[1], shape[0]} : shape;
        long bytes = target.bytesFor((long) rows * cols);
        if (bytes < 0 || target.bytesFor(cols) < 0) {
            throw new IllegalArgumentException(name + ": rows of " + cols + " values cannot be stored as " + target
                    + " (blocks of " + target.blockElements() + ")");
        }
        MemorySegment seg = arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
        float[] row = new float[cols];
        if (transpose) {
            // read column blocks of the source so each source row is touched once per block
            int srcCols = cols();
            int block = 64;
            float[][] tile = new float[block][];
            float[] srcRow = new float[srcCols];
            for (int c0 = 0; c0 < srcCols; c0 += block) {
                int width = Math.min(block, srcCols - c0);
                for (int i = 0; i < width; i++) tile[i] = new float[cols];
                for (int r = 0; r < cols; r++) {
                    read((long) r * srcCols + c0, width, srcRow, 0);
                    for (int i = 0; i < width; i++) tile[i][r] = srcRow[i];
                }
                for (int i = 0; i < width; i++) writeFloats(tile[i], 0, cols, target, seg, (long) (c0 + i) * cols);
            }
        } else {
            for (int r = 0; r < rows; r++) {
                read((long) r * cols, cols, row, 0);
                writeFloats(row, 0, cols, target, seg, (long) r * cols);
            }
        }
        return new Tensor(name, target, newShape, seg);
    }

    @Override
    public String toString() {
        return name + " " + dtype.displayName() + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
