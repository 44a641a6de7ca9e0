package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.Random;

/**
 * Random inputs and the agreement checks shared by the plain-Java kernel tests and the device checks. A check
 * returns the worst error as a fraction of its bound and throws AssertionError when that exceeds 1.
 */
public final class Agreement {
    private static final Arena ARENA = Arena.ofShared();
    /** Sizes that are not multiples of any vector width or work-group size. */
    public static final int[] COLS = {1, 7, 15, 17, 31, 33, 63, 65, 100, 129, 257, 769};
    public static final int[] Q8_COLS = {32, 96, 160, 288};
    public static final int[] ROWS = {1, 2, 3, 5, 33, 67, 130};

    private Agreement() {
    }

    public static float[] random(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    public static Tensor weights(Random rnd, DType dtype, int rows, int cols) {
        return Tensor.of("w", dtype, new long[] {rows, cols}, random(rnd, rows * cols, 0.5), ARENA);
    }

    /**
     * |actual − expected| ≤ absolute + relative · max(|expected_i|, 0.1 · max |expected|): errors are judged against
     * the scale of the whole output, so a tiny entry is not held to a tiny bound.
     */
    public static double close(float[] actual, float[] expected, double relative, double absolute, String what) {
        if (actual.length < expected.length) throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double bound = absolute + relative * Math.max(Math.abs(expected[i]), scale * 0.1);
            double ratio = Math.abs((double) actual[i] - expected[i]) / bound;
            if (!(ratio <= 1)) throw new AssertionError(what + " at " + i + ": " + actual[i] + " vs " + expected[i] + " (bound " + bound + ")");
            worst = Math.max(worst, ratio);
        }
        return worst;
    }

    /**
     * Matmul: |actual − expected| ≤ 1e-5 · Σ_c |x·w| + 1e-6 · |bias| per output. Both sides read exactly the same
     * weight values; the kernels sum in one float accumulator, the reference in double.
     */
    public static double matmul(float[] actual, float[] expected, float[] x, Tensor w, float[] bias, int k, String what) {
        int rows = w.rows();
        int cols = w.cols();
        float[] decoded = new float[rows * cols];
        w.read(0, decoded.length, decoded, 0);
        double worst = 0;
        for (int t = 0; t < k; t++) {
            for (int r = 0; r < rows; r++) {
                double scale = 0;
                for (int c = 0; c < cols; c++) scale += Math.abs((double) x[t * cols + c] * decoded[r * cols + c]);
                double bound = 1e-5 * scale + (bias == null ? 0 : 1e-6 * Math.abs(bias[r])) + 1e-30;
                double ratio = Math.abs((double) actual[t * rows + r] - expected[t * rows + r]) / bound;
                if (!(ratio <= 1)) {
                    throw new AssertionError(what + " t=" + t + " r=" + r + ": " + actual[t * rows + r] + " vs " + expected[t * rows + r]);
                }
                worst = Math.max(worst, ratio);
            }
        }
        return worst;
    }

    public static void exact(float[] actual, float[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError(what + " at " + i + ": " + actual[i] + " vs " + expected[i]);
            }
        }
    }

    public static void exact(int[] actual, int[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (actual[i] != expected[i]) throw new AssertionError(what + " at " + i + ": " + actual[i] + " vs " + expected[i]);
        }
    }

    /** Rotary tables [positions][headDim/2] as the engine builds them. */
    public static float[][] ropeTables(int positions, int headDim) {
        int half = headDim / 2;
        float[] cos = new float[positions * half];
        float[] sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(10000, -2.0 * i / headDim);
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }
}
