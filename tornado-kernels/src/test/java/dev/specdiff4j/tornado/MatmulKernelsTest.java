package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The matmul kernels (through {@link ArrayMatrix}) against ReferenceKernels; bound in {@link Agreement#matmul}. */
class MatmulKernelsTest {
    private static final ReferenceKernels REF = new ReferenceKernels();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"}) // the types with device kernels; the rest run as F32
    void agreesWithTheReferenceForAwkwardShapes(DType dtype) {
        Random rnd = new Random(10 + dtype.ordinal());
        for (int cols : dtype == DType.Q8_0 ? Agreement.Q8_COLS : Agreement.COLS) {
            for (int rows : Agreement.ROWS) {
                Tensor w = Agreement.weights(rnd, dtype, rows, cols);
                ArrayMatrix m = ArrayMatrix.of(w);
                float[] bias = rnd.nextBoolean() ? Agreement.random(rnd, rows, 1) : null;
                for (int k : new int[] {1, 2, 3, 5, 13, 33}) {
                    float[] x = Agreement.random(rnd, k * cols, 1);
                    float[] expected = new float[k * rows];
                    float[] actual = new float[k * rows];
                    REF.matmul(x, k, w, bias, expected);
                    m.matmul(x, bias == null ? new float[rows] : bias, actual, k);
                    Agreement.matmul(actual, expected, x, w, bias, k, dtype + " rows=" + rows + " cols=" + cols + " k=" + k);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"}) // the types with device kernels; the rest run as F32
    void aTokensRowDoesNotDependOnTheBatch(DType dtype) {
        Random rnd = new Random(20 + dtype.ordinal());
        int cols = dtype == DType.Q8_0 ? 160 : 131;
        int rows = 37;
        ArrayMatrix m = ArrayMatrix.of(Agreement.weights(rnd, dtype, rows, cols));
        float[] bias = Agreement.random(rnd, rows, 1);
        int k = 9;
        float[] x = Agreement.random(rnd, k * cols, 1);
        float[] batched = new float[k * rows];
        m.matmul(x, bias, batched, k);
        for (int t = 0; t < k; t++) {
            float[] one = new float[rows];
            m.matmul(Arrays.copyOfRange(x, t * cols, (t + 1) * cols), bias, one, 1);
            assertThat(one).as("token %d", t).containsExactly(Arrays.copyOfRange(batched, t * rows, (t + 1) * rows));
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"}) // the types with device kernels; the rest run as F32
    void onlyMetaRowsAreWritten(DType dtype) {
        Random rnd = new Random(50 + dtype.ordinal());
        int cols = 64;
        ArrayMatrix m = ArrayMatrix.of(Agreement.weights(rnd, dtype, 5, cols));
        float[] out = new float[4 * 5];
        Arrays.fill(out, -3f);
        m.matmul(Agreement.random(rnd, 4 * cols, 1), new float[5], out, 2);
        assertThat(Arrays.copyOfRange(out, 10, 20)).containsOnly(-3f);
        assertThat(Arrays.copyOf(out, 10)).doesNotContain(-3f);
    }

    @Test
    void theBoundCatchesAWrongResult() {
        Random rnd = new Random(3);
        Tensor w = Agreement.weights(rnd, DType.F32, 5, 17);
        float[] x = Agreement.random(rnd, 17, 1);
        float[] expected = new float[5];
        REF.matmul(x, 1, w, null, expected);
        float[] wrong = expected.clone();
        wrong[4] += 1e-3f * Math.abs(wrong[4]) + 1e-3f;
        assertThatThrownBy(() -> Agreement.matmul(wrong, expected, x, w, null, 1, "perturbed")).isInstanceOf(AssertionError.class);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"}) // the types with device kernels; the rest run as F32
    void layoutsHoldTheTensorsValues(DType dtype) {
        Random rnd = new Random(30 + dtype.ordinal());
        Tensor w = Agreement.weights(rnd, dtype, 3, dtype == DType.Q8_0 ? 64 : 5);
        ArrayMatrix m = ArrayMatrix.of(w);
        assertThat(m.rows()).isEqualTo(3);
        assertThat(m.cols()).isEqualTo(w.cols());
        // multiplying by unit vectors reads the matrix back column by column
        float[] decoded = new float[3 * w.cols()];
        w.read(0, decoded.length, decoded, 0);
        for (int c = 0; c < w.cols(); c++) {
            float[] unit = new float[w.cols()];
            unit[c] = 1;
            float[] column = new float[3];
            m.matmul(unit, new float[3], column, 1);
            for (int r = 0; r < 3; r++) assertThat(column[r]).as("r=%d c=%d", r, c).isEqualTo(decoded[r * w.cols() + c]);
        }
    }
}
