package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-register one-token tiles (the default for one-token passes; {@code -Dspecdiff4j.quantInRegisters=false} turns them
 * off) give exactly the F32 matmul of
 * the dequantized weights, the buffered path's definition, on rows of every magnitude and with offsets.
 */
class Q4TilesTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final VectorKernels VEC = new VectorKernels(1);

    @AfterAll
    static void close() {
        VEC.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void tilesAreTheFloatMatmulOfTheDequantizedWeightsBitForBit(DType dtype) {
        assertThat(Q4Tiles.supports(dtype)).isEqualTo(VectorMath.L == 16);
        if (!Q4Tiles.supports(dtype)) return;
        Random rnd = new Random(11 + dtype.ordinal());
        int rows = 12;
        for (int cols : dtype.blockElements() == 32 ? new int[] {32, 96, 800} : new int[] {256, 768}) {
            float[] values = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                double magnitude = Math.pow(10, -6 + rnd.nextInt(10));
                double offset = r % 3 == 0 ? magnitude * rnd.nextGaussian() : 0;
                for (int c = 0; c < cols; c++) values[r * cols + c] = r == 5 ? -0.25f : (float) (offset + magnitude * rnd.nextGaussian());
            }
            Tensor w = Tensor.of("w", dtype, new long[] {rows, cols}, values, ARENA);
            float[] decoded = new float[rows * cols];
            w.read(0, decoded.length, decoded, 0);
            Tensor asFloats = Tensor.of("w", DType.F32, new long[] {rows, cols}, decoded, ARENA);
            float[] bias = new float[rows];
            for (int r = 0; r < rows; r++) bias[r] = (float) rnd.nextGaussian();
            float[] x = new float[2 * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (int t = 0; t < 2; t++) {
                float[] token = java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                float[] expected = new float[rows];
                VEC.matmul(token, 1, asFloats, bias, expected);
                float[] actual = new float[2 * rows];
                float[] lanes = new float[16 * VectorMath.L];
                for (int r = 0; r < rows; r += 4) {
                    long row0 = r * w.rowBytes();
                    switch (dtype) {
                        case Q4_0 -> Q4Tiles.q4_0x1(w.data(), row0, w.rowBytes(), cols, x, t, bias, r, rows, actual, lanes);
                        case Q4_K -> Q4Tiles.q4Kx1(w.data(), row0, w.rowBytes(), cols, x, t, bias, r, rows, actual, lanes);
                        case Q5_K -> Q4Tiles.q5Kx1(w.data(), row0, w.rowBytes(), cols, x, t, bias, r, rows, actual, lanes);
                        default -> Q4Tiles.q6Kx1(w.data(), row0, w.rowBytes(), cols, x, t, bias, r, rows, actual, lanes);
                    }
                }
                assertThat(java.util.Arrays.copyOfRange(actual, t * rows, (t + 1) * rows)).as("%s cols=%d token %d", dtype, cols, t)
                        .containsExactly(expected);
            }
        }
    }
}
