package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every register tile of the matmul (4×4, 4×2, 4×1, 1×4, 1×1 and the padded 4×4 of 2-3 leftover tokens, widened in registers
 * or read from decoded rows) gives every output the same bits: a token's result does not depend on how many tokens share
 * the pass, where it sits in a tile, nor on the number of threads. Awkward sizes: rows and columns that are not multiples
 * of the 4-row tile or the vector length, passes of 1 to 17 tokens.
 */
class TileInvarianceTest {
    private static final VectorKernels TWO_THREADS = new VectorKernels(2);
    private static final VectorKernels ONE_THREAD = new VectorKernels(1);
    private static final int[] TOKENS = {1, 2, 3, 5, 6, 7, 16, 17};

    @AfterAll
    static void close() {
        TWO_THREADS.close();
        ONE_THREAD.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"})
    void everyTileGivesEachTokenTheBitsOfItsOneTokenPass(DType dtype) {
        Random rnd = new Random(16 + dtype.ordinal());
        int[] colChoices = dtype == DType.Q8_0 ? new int[] {32, 96, 800} : new int[] {3, 13, 131, 769};
        for (int cols : colChoices) {
            for (int rows : new int[] {1, 3, 6, 37, 70}) {
                Tensor w = KernelsAgreementTest.weights(rnd, dtype, rows, cols);
                float[] bias = rnd.nextBoolean() ? KernelsAgreementTest.random(rnd, rows, 1) : null;
                for (int k : TOKENS) {
                    float[] x = KernelsAgreementTest.random(rnd, k * cols, 1);
                    float[] two = new float[k * rows];
                    float[] oneThread = new float[k * rows];
                    TWO_THREADS.matmul(x, k, w, bias, two);
                    ONE_THREAD.matmul(x, k, w, bias, oneThread);
                    String what = String.format("%s rows=%d cols=%d k=%d", dtype, rows, cols, k);
                    assertThat(oneThread).as("1 thread vs 2, " + what).containsExactly(two);
                    for (int t = 0; t < k; t++) {
                        float[] alone = new float[rows];
                        TWO_THREADS.matmul(Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, w, bias, alone);
                        assertThat(Arrays.copyOfRange(two, t * rows, (t + 1) * rows)).as("token %d alone, %s", t, what).containsExactly(alone);
                    }
                }
            }
        }
    }

    @Test
    void aTokenGetsTheSameBitsInEverySlotOfATile() {
        // one token row repeated: in a 17-token pass it sits in every slot of every tile; all copies must agree
        Random rnd = new Random(5);
        int rows = 38;
        int cols = 133;
        Tensor w = KernelsAgreementTest.weights(rnd, DType.F32, rows, cols);
        float[] token = KernelsAgreementTest.random(rnd, cols, 1);
        for (int k : TOKENS) {
            float[] x = new float[k * cols];
            for (int t = 0; t < k; t++) System.arraycopy(token, 0, x, t * cols, cols);
            float[] out = new float[k * rows];
            TWO_THREADS.matmul(x, k, w, null, out);
            float[] first = Arrays.copyOf(out, rows);
            for (int t = 1; t < k; t++) assertThat(Arrays.copyOfRange(out, t * rows, (t + 1) * rows)).as("k=%d slot %d", k, t).containsExactly(first);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 16})
    void theFoldedLaneSumsAddTheSamePairsAsOneLaneSum(int accumulators) {
        // magnitudes 2^-20..2^20 with both signs: any other order of the additions rounds differently somewhere
        Random rnd = new Random(11);
        int lanesPerVector = VectorMath.L;
        for (int rep = 0; rep < 500; rep++) {
            float[] lanes = new float[16 * lanesPerVector];
            for (int i = 0; i < accumulators * lanesPerVector; i++) lanes[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(41) - 20));
            float[] expected = new float[accumulators];
            for (int n = 0; n < accumulators; n++) expected[n] = pairwise(Arrays.copyOfRange(lanes, n * lanesPerVector, (n + 1) * lanesPerVector));
            if (accumulators == 8) MatmulTiles.laneSums8(lanes);
            else MatmulTiles.laneSums16(lanes);
            assertThat(Arrays.copyOf(lanes, accumulators)).as("repetition %d", rep).containsExactly(expected);
        }
    }

    /** Lane i plus lane i + n/2, then + n/4, ...: the order every tile's lane sum must follow. */
    private static float pairwise(float[] v) {
        for (int half = v.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) v[i] += v[i + half];
        }
        return v[0];
    }
}
