package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every VectorKernels routine against ReferenceKernels on random inputs of awkward sizes (not multiples
 * of the vector length), with these tolerances:
 * <ul>
 *   <li>matmul, every dtype: |vector − reference| ≤ 4e-6 · Σ|x·w| + 1e-6·|bias|. Both read exactly the
 *       same (exactly dequantized) weight values, so the bound is the same for every dtype; only the
 *       float summation order differs (quantization error itself is tested with the converters).</li>
 *   <li>layer norm, rope, softmax, attention: 2e-5 relative to the row's scale (+1e-6 absolute).</li>
 *   <li>GELU and exp: 1e-6 relative plus 1e-6 absolute (exp: 3 ulp).</li>
 * </ul>
 */
class KernelsAgreementTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ReferenceKernels REF = new ReferenceKernels();
    private static final VectorKernels VEC = new VectorKernels(2);
    private static final VectorKernels VEC1 = new VectorKernels(1);
    private static final int[] COLS = {1, 7, 15, 17, 31, 33, 63, 65, 100, 129, 257, 769};
    private static final int[] Q8_COLS = {32, 96, 160, 288};
    /** Rows of k-quant super-blocks (256 values). */
    private static final int[] K_COLS = {256, 512, 768};
    private static final int[] ROWS = {1, 2, 3, 5, 33, 67, 130};

    @AfterAll
    static void close() {
        VEC.close();
        VEC1.close();
    }

    static float[] random(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    static Tensor weights(Random rnd, DType dtype, int rows, int cols) {
        return Tensor.of("w", dtype, new long[] {rows, cols}, random(rnd, rows * cols, 0.5f), ARENA);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulAgreesForEveryDtypeAndAwkwardShape(DType dtype) {
        Random rnd = new Random(dtype.ordinal());
        int[] colChoices = switch (dtype.blockElements()) {
            case 1 -> COLS;
            case 32 -> Q8_COLS;
            default -> K_COLS;
        };
        for (int cols : colChoices) {
            for (int rows : ROWS) {
                Tensor w = weights(rnd, dtype, rows, cols);
                float[] bias = rnd.nextBoolean() ? random(rnd, rows, 1) : null;
                float[] decoded = new float[rows * cols];
                w.read(0, decoded.length, decoded, 0);
                for (int k : new int[] {1, 2, 3, 4, 5, 8, 13, 16, 17, 33}) {
                    float[] x = random(rnd, k * cols, 1);
                    float[] expected = new float[k * rows];
                    float[] actual = new float[k * rows];
                    REF.matmul(x, k, w, bias, expected);
                    VEC.matmul(x, k, w, bias, actual);
                    for (int t = 0; t < k; t++) {
                        for (int r = 0; r < rows; r++) {
                            double scale = 0;
                            for (int c = 0; c < cols; c++) scale += Math.abs((double) x[t * cols + c] * decoded[r * cols + c]);
                            double bound = 4e-6 * scale + (bias == null ? 0 : 1e-6 * Math.abs(bias[r])) + 1e-30;
                            assertThat((double) actual[t * rows + r])
                                    .as("%s rows=%d cols=%d k=%d t=%d r=%d", dtype, rows, cols, k, t, r)
                                    .isCloseTo(expected[t * rows + r], org.assertj.core.data.Offset.offset(bound));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedMatmulIsTheFloatMatmulOfTheDequantizedWeightsBitForBit(DType dtype) {
        // the definition the in-register tiles (Q8Tiles, Q4Tiles) must keep: dequantize exactly, then the F32 dot product
        Random rnd = new Random(7 + dtype.ordinal());
        int cols = dtype.blockElements() == 32 ? 96 : 768;
        for (int rows : new int[] {4, 5, 7, 33, 67}) {
            float[] values = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                // rows from 1e-6 to 1e3 in magnitude, some with an offset (the k-quants' mins), one constant row
                double magnitude = Math.pow(10, -6 + rnd.nextInt(10));
                double offset = r % 3 == 0 ? magnitude * rnd.nextGaussian() : 0;
                for (int c = 0; c < cols; c++) {
                    values[r * cols + c] = r == 2 ? 0.75f : (float) (offset + magnitude * rnd.nextGaussian());
                }
            }
            Tensor w = Tensor.of("w", dtype, new long[] {rows, cols}, values, ARENA);
            float[] decoded = new float[rows * cols];
            w.read(0, decoded.length, decoded, 0);
            Tensor asFloats = Tensor.of("w", DType.F32, new long[] {rows, cols}, decoded, ARENA);
            float[] bias = random(rnd, rows, 1);
            for (int k : new int[] {1, 2, 3, 4, 5}) {
                float[] x = random(rnd, k * cols, 1);
                float[] expected = new float[k * rows];
                float[] actual = new float[k * rows];
                VEC.matmul(x, k, asFloats, bias, expected);
                VEC.matmul(x, k, w, bias, actual);
                assertThat(actual).as("%s rows=%d k=%d", dtype, rows, k).containsExactly(expected);
                VEC1.matmul(x, k, w, bias, actual);
                assertThat(actual).as("%s rows=%d k=%d, 1 thread", dtype, rows, k).containsExactly(expected);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulResultOfATokenDoesNotDependOnBatchOrThreads(DType dtype) {
        // The speculative-decoding guarantee: a verify pass over k tokens gives each token exactly the
        // bits a single-token pass gives it.
        Random rnd = new Random(42 + dtype.ordinal());
        int cols = switch (dtype.blockElements()) {
            case 1 -> 131;
            case 32 -> 160;
            default -> 512;
        };
        int rows = 37;
        Tensor w = weights(rnd, dtype, rows, cols);
        float[] bias = random(rnd, rows, 1);
        for (int k = 1; k <= 33; k++) {
            float[] x = random(rnd, k * cols, 1);
            float[] batched = new float[k * rows];
            VEC.matmul(x, k, w, bias, batched);
            float[] singleThread = new float[k * rows];
            VEC1.matmul(x, k, w, bias, singleThread);
            assertThat(singleThread).as("1 thread vs 2, k=%d", k).containsExactly(batched);
            for (int t = 0; t < k; t++) {
                float[] one = new float[rows];
                VEC.matmul(Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, w, bias, one);
                assertThat(one).as("token %d of %d alone", t, k).containsExactly(Arrays.copyOfRange(batched, t * rows, (t + 1) * rows));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void matmulWidensEvery16BitPatternExactly(DType dtype) {
        // Row r holds pattern r at column r % cols and zeros elsewhere; with x all ones each output is exactly that
        // weight's value (infinities and NaNs included), whether it was widened in a vector lane or in the scalar tail,
        // in a one-token tile (k = 1) or a 4-token tile (k = 2, 3: the short passes that widen in registers) or after
        // decoding into a buffer (k = 5). F16 tensors holding an infinity or NaN are always decoded into the buffer, so
        // F16 runs twice: every pattern, then the finite ones only (the others replaced by zeros).
        check16BitPatterns(dtype, true);
        if (dtype == DType.F16) check16BitPatterns(dtype, false);
    }

    private static void check16BitPatterns(DType dtype, boolean withSpecials) {
        int cols = 2 * VectorMath.L + 3;
        int rows = 1 << 16;
        float[] values = new float[rows * cols];
        float[] expected = new float[rows];
        for (int r = 0; r < rows; r++) {
            short bits = (short) r;
            expected[r] = dtype == DType.F16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat(r << 16);
            if (!withSpecials && !Float.isFinite(expected[r])) expected[r] = 0;
            values[r * cols + r % cols] = expected[r];
        }
        Tensor w = Tensor.of("w", dtype, new long[] {rows, cols}, values, ARENA);
        for (int k : new int[] {1, 2, 3, 5}) {
            float[] x = new float[k * cols];
            Arrays.fill(x, 1f);
            float[] out = new float[k * rows];
            VEC.matmul(x, k, w, null, out);
            for (int t = 0; t < k; t++) {
                for (int r = 0; r < rows; r++) {
                    float got = out[t * rows + r];
                    // zero accumulators turn −0 into +0, so compare values (and NaN as NaN), not bits
                    boolean same = Float.isNaN(expected[r]) ? Float.isNaN(got) : got == expected[r];
                    if (!same) {
                        throw new AssertionError(String.format("%s pattern %04x, k=%d, token %d: expected %s, got %s", dtype, r, k, t,
                                expected[r], got));
                    }
                }
            }
        }
    }

    @Test
    void layerNormAgrees() {
        Random rnd = new Random(1);
        for (int dim : COLS) {
            for (int k : new int[] {1, 3, 17, 33}) {
                float[] x = random(rnd, k * dim, 3);
                for (int i = 0; i < x.length; i++) x[i] += 5; // an offset makes the mean matter
                float[] w = random(rnd, dim, 1);
                float[] b = rnd.nextBoolean() ? random(rnd, dim, 1) : null;
                float[] expected = new float[x.length];
                float[] actual = new float[x.length];
                REF.layerNorm(x, k, dim, w, b, 1e-5f, expected);
                VEC.layerNorm(x, k, dim, w, b, 1e-5f, actual);
                assertClose(actual, expected, 2e-5, 1e-6, "layerNorm dim=" + dim);
                float[] inPlace = x.clone();
                VEC.layerNorm(inPlace, k, dim, w, b, 1e-5f, inPlace);
                assertThat(inPlace).containsExactly(actual);
            }
        }
    }

    @Test
    void geluAgrees() {
        Random rnd = new Random(2);
        for (int n : new int[] {1, 15, 17, 1000, 20001}) {
            float[] x = random(rnd, n, 4);
            x[0] = n > 1 ? -30 : x[0];
            float[] expected = x.clone();
            float[] actual = x.clone();
            REF.geluTanh(expected, n);
            VEC.geluTanh(actual, n);
            assertClose(actual, expected, 1e-6, 1e-6, "gelu n=" + n);
        }
    }

    @Test
    void softmaxAgrees() {
        Random rnd = new Random(3);
        for (int n : COLS) {
            float[] x = random(rnd, n + 5, 6);
            float[] expected = x.clone();
            float[] actual = x.clone();
            REF.softmax(expected, 5, n);
            VEC.softmax(actual, 5, n);
            assertClose(actual, expected, 2e-5, 1e-7, "softmax n=" + n);
            assertThat(Arrays.copyOf(actual, 5)).containsExactly(Arrays.copyOf(x, 5));
        }
    }

    @Test
    void attentionAgreesCausalAndBidirectional() {
        Random rnd = new Random(4);
        for (int headDim : new int[] {8, 17, 64, 80}) {
            for (int heads : new int[] {1, 3}) {
                int dim = heads * headDim;
                for (int k : new int[] {1, 4, 9, 33}) {
                    int prefix = rnd.nextInt(40);
                    int kvLength = prefix + k;
                    float[] q = random(rnd, k * dim, 1);
                    float[] keys = random(rnd, kvLength * dim, 1);
                    float[] values = random(rnd, kvLength * dim, 1);
                    for (boolean causal : new boolean[] {true, false}) {
                        float[] expected = new float[k * dim];
                        float[] actual = new float[k * dim];
                        REF.attention(q, k, keys, values, kvLength, prefix, causal, heads, headDim, expected);
                        VEC.attention(q, k, keys, values, kvLength, prefix, causal, heads, headDim, actual);
                        assertClose(actual, expected, 2e-5, 1e-6, "attention headDim=" + headDim + " k=" + k + " causal=" + causal);
                    }
                }
            }
        }
    }

    @Test
    void causalAttentionOfATokenDoesNotDependOnBatch() {
        Random rnd = new Random(5);
        int heads = 2;
        int headDim = 24;
        int dim = heads * headDim;
        int k = 9;
        int prefix = 11;
        float[] q = random(rnd, k * dim, 1);
        float[] keys = random(rnd, (prefix + k) * dim, 1);
        float[] values = random(rnd, (prefix + k) * dim, 1);
        float[] batched = new float[k * dim];
        VEC.attention(q, k, keys, values, prefix + k, prefix, true, heads, headDim, batched);
        for (int t = 0; t < k; t++) {
            float[] one = new float[dim];
            VEC.attention(Arrays.copyOfRange(q, t * dim, (t + 1) * dim), 1, keys, values, prefix + t + 1, prefix + t, true, heads, headDim, one);
            assertThat(one).containsExactly(Arrays.copyOfRange(batched, t * dim, (t + 1) * dim));
        }
    }

    @Test
    void ropeAgrees() {
        Random rnd = new Random(6);
        for (int headDim : new int[] {2, 10, 64, 66}) {
            int half = headDim / 2;
            int positions = 50;
            float[] cos = new float[positions * half];
            float[] sin = new float[positions * half];
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = p * Math.pow(10000, -2.0 * i / headDim);
                    cos[p * half + i] = (float) Math.cos(angle);
                    sin[p * half + i] = (float) Math.sin(angle);
                }
            }
            float[] x = random(rnd, 7 * 3 * headDim, 1);
            float[] expected = x.clone();
            float[] actual = x.clone();
            REF.rope(expected, 7, 3, headDim, 20, cos, sin);
            VEC.rope(actual, 7, 3, headDim, 20, cos, sin);
            assertClose(actual, expected, 2e-6, 1e-6, "rope headDim=" + headDim);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void embeddingIsExact(DType dtype) {
        Random rnd = new Random(7);
        int dim = dtype.blockElements() == 1 ? 37 : dtype.blockElements() == 32 ? 96 : 256;
        Tensor table = weights(rnd, dtype, 50, dim);
        int[] ids = {0, 49, 3, 3, 17};
        float[] expected = new float[ids.length * dim];
        float[] actual = new float[ids.length * dim];
        REF.embedding(table, ids, expected);
        VEC.embedding(table, ids, actual);
        assertThat(actual).containsExactly(expected);
        assertThatThrownBy(() -> VEC.embedding(table, new int[] {50}, new float[dim])).hasMessageContaining("token id 50");
    }

    @Test
    void expIsAccurateAndVectorMatchesScalarBitForBit() {
        Random rnd = new Random(8);
        float[] x = new float[4099];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 170 - 87);
        x[0] = 0;
        x[1] = -87.3f;
        x[2] = 88f;
        float[] vector = new float[x.length];
        int i = 0;
        for (; i + VectorMath.L <= x.length; i += VectorMath.L) {
            VectorMath.exp(jdk.incubator.vector.FloatVector.fromArray(VectorMath.F, x, i)).intoArray(vector, i);
        }
        for (; i < x.length; i++) vector[i] = VectorMath.exp(x[i]);
        for (int j = 0; j < x.length; j++) {
            assertThat(vector[j]).as("vector vs scalar at %s", x[j]).isEqualTo(VectorMath.exp(x[j]));
            double exact = Math.exp(x[j]);
            assertThat(Math.abs(vector[j] - exact)).as("exp(%s)", x[j]).isLessThanOrEqualTo(3 * Math.ulp((float) exact));
        }
        assertThat(VectorMath.exp(-1000f)).isPositive().isLessThan(1e-37f);
        assertThat(VectorMath.exp(1000f)).isFinite();
    }

    @Test
    void workerPoolPropagatesFailuresAndStaysUsable() {
        Tensor w = Tensor.of("w", DType.F32, new long[] {64, 8}, new float[64 * 8], ARENA);
        assertThatThrownBy(() -> VEC.matmul(new float[8], 1, w, null, new float[10])).hasMessageContaining("buffers too small");
        assertThatThrownBy(() -> VEC.attention(new float[16], 2, new float[16], new float[16], 1, 0, true, 1, 8, new float[16]))
                .hasMessageContaining("sees 2 keys");
        float[] out = new float[64];
        VEC.matmul(new float[8], 1, w, null, out);
        assertThat(out).containsOnly(0f);
    }

    static void assertClose(float[] actual, float[] expected, double relative, double absolute, String what) {
        assertThat(actual).hasSameSizeAs(expected);
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < actual.length; i++) {
            double bound = absolute + relative * Math.max(Math.abs(expected[i]), scale * 0.1);
            assertThat((double) actual[i]).as("%s at %d", what, i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(bound));
        }
    }
}
