package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packed copy of a matrix ({@link PackedWeights}) holds every weight where its documented layout says, and matmul over
 * packed weights gives the bits of matmul over the rows where they lie, for every pass size and awkward shape.
 */
class PackedWeightsTest {
    private static final VectorKernels PACKED = new VectorKernels(2, true);
    private static final VectorKernels PLAIN = new VectorKernels(2, false);
    private static final int L = VectorMath.L;

    @AfterAll
    static void close() {
        PACKED.close();
        PLAIN.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void everyWeightLiesWhereTheLayoutSays(DType dtype) {
        Random rnd = new Random(3);
        for (int cols : new int[] {L + 5, 2 * L, 3}) {
            int rows = 9; // two blocks and one row after them
            Tensor w = KernelsAgreementTest.weights(rnd, dtype, rows, cols);
            MemorySegment packed;
            try (WorkerPool pool = new WorkerPool(2, "test")) {
                packed = PackedWeights.pack(w, pool);
            }
            int es = (int) (w.rowBytes() / cols);
            int upper = cols - cols % L;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    long plain = r * w.rowBytes() + (long) es * c;
                    long at;
                    if (r >= 8) {
                        at = plain;
                    } else {
                        long block = (r / 4) * 4 * w.rowBytes();
                        int i = r % 4;
                        at = c < upper
                                ? block + (long) es * (4L * (c - c % L) + (long) L * i + c % L)
                                : block + (long) es * (4L * upper + (long) i * (cols - upper) + c - upper);
                    }
                    assertThat(bits(packed, at, es)).as("%s cols=%d row %d column %d", dtype, cols, r, c).isEqualTo(bits(w.data(), plain, es));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void everyQuantizedBlockLiesWhereTheLayoutSays(DType dtype) {
        Random rnd = new Random(4);
        int bb = dtype.blockBytes();
        for (int blocksPerRow : new int[] {1, 3}) {
            int rows = 9; // two blocks of rows and one row after them
            Tensor w = KernelsAgreementTest.weights(rnd, dtype, rows, blocksPerRow * dtype.blockElements());
            MemorySegment packed;
            try (WorkerPool pool = new WorkerPool(2, "test")) {
                packed = PackedWeights.pack(w, pool);
            }
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < blocksPerRow; b++) {
                    long plain = r * w.rowBytes() + (long) b * bb;
                    long at = r >= 8 ? plain : (r / 4) * 4 * w.rowBytes() + (long) bb * (4L * b + r % 4);
                    assertThat(packed.asSlice(at, bb).toArray(ValueLayout.JAVA_BYTE)).as("%s row %d block %d", dtype, r, b)
                            .containsExactly(w.data().asSlice(plain, bb).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0"})
    void packedQuantizedMatmulGivesTheBitsOfPlainRows(DType dtype) {
        Random rnd = new Random(17 + dtype.ordinal());
        int block = dtype.blockElements();
        for (int cols : new int[] {block, 3 * block}) {
            for (int rows : new int[] {1, 4, 7, 37, 130}) {
                Tensor w = KernelsAgreementTest.weights(rnd, dtype, rows, cols);
                float[] bias = rnd.nextBoolean() ? KernelsAgreementTest.random(rnd, rows, 1) : null;
                for (int k = 1; k <= 18; k++) {
                    float[] x = KernelsAgreementTest.random(rnd, k * cols, 1);
                    float[] packed = new float[k * rows];
                    float[] plain = new float[k * rows];
                    PACKED.matmul(x, k, w, bias, packed);
                    PLAIN.matmul(x, k, w, bias, plain);
                    assertThat(packed).as("%s rows=%d cols=%d k=%d", dtype, rows, cols, k).containsExactly(plain);
                }
            }
        }
    }

    private static int bits(MemorySegment s, long at, int es) {
        return es == 4 ? s.get(ValueLayout.JAVA_INT_UNALIGNED, at) : s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void packedMatmulGivesTheBitsOfPlainRows(DType dtype) {
        Random rnd = new Random(7 + dtype.ordinal());
        for (int cols : new int[] {3, L + 5, 131, 384}) {
            for (int rows : new int[] {1, 4, 7, 37, 130}) {
                Tensor w = KernelsAgreementTest.weights(rnd, dtype, rows, cols);
                float[] bias = rnd.nextBoolean() ? KernelsAgreementTest.random(rnd, rows, 1) : null;
                for (int k = 1; k <= 18; k++) {
                    float[] x = KernelsAgreementTest.random(rnd, k * cols, 1);
                    float[] packed = new float[k * rows];
                    float[] plain = new float[k * rows];
                    PACKED.matmul(x, k, w, bias, packed);
                    PLAIN.matmul(x, k, w, bias, plain);
                    assertThat(packed).as("%s rows=%d cols=%d k=%d", dtype, rows, cols, k).containsExactly(plain);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"})
    void aMatrixIsPackedOnceAndItsCopyIsReused(DType dtype) {
        Random rnd = new Random(9);
        int cols = dtype.isQuantized() ? dtype.blockElements() : 2 * L;
        Tensor w = KernelsAgreementTest.weights(rnd, dtype, 8, cols);
        float[] x = KernelsAgreementTest.random(rnd, cols, 1);
        float[] first = new float[8];
        PACKED.matmul(x, 1, w, null, first);
        // overwrite the tensor's own rows: a kernel that re-read them (or packed them again) would see the change
        w.data().fill((byte) 0);
        float[] again = new float[8];
        PACKED.matmul(x, 1, w, null, again);
        assertThat(again).containsExactly(first);
        assertThat(Arrays.equals(first, new float[8])).isFalse();
    }
}
