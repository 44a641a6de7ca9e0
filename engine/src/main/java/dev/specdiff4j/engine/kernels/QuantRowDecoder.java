package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.BlockQuants;
import dev.specdiff4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Rows of the Q4_0 / Q5_0 / Q5_1 / k-quant tensors as floats, for the buffered matmul path: every weight d·sc·q − m is
 * computed in float exactly as the reference dequantizer computes it, so the matmul result does not depend on
 * which path or tile decoded the row.
 */
final class QuantRowDecoder {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private QuantRowDecoder() {
    }

    /** Decodes rows [firstRow, firstRow + n) of {@code w} into {@code dst} (n·cols floats, native memory). */
    static void decode(Tensor w, int firstRow, int n, MemorySegment dst) {
        int cols = w.cols();
        float[] row = ROW.get();
        if (row.length < cols) {
            row = new float[cols];
            ROW.set(row);
        }
        long rowBytes = w.rowBytes();
        int block = w.dtype().blockElements();
        int blockBytes = w.dtype().blockBytes();
        MemorySegment seg = w.data();
        for (int r = 0; r < n; r++) {
            long at = (firstRow + r) * rowBytes;
            for (int b = 0; b < cols / block; b++) BlockQuants.dequantizeBlock(w.dtype(), seg, at + (long) b * blockBytes, row, b * block);
            MemorySegment.copy(row, 0, dst, FLOAT, 4L * r * cols, cols);
        }
    }
}
