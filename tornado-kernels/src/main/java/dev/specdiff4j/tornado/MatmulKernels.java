package dev.specdiff4j.tornado;

/**
 * Batched matrix multiply {@code out[t·rows + r] = bias[r] + Σ_c x[t·cols + c]·w[r·cols + c]} for weights in each
 * dtype, dequantized inline; parallel over rows and tokens. A matrix without bias gets a zero bias. 16-bit values
 * (F16 and BF16 weights, Q8_0 scales) are decoded through a {@link Halves} table.
 */
public final class MatmulKernels {
    private MatmulKernels() {
    }

    public static void f32(float[] x, float[] w, float[] bias, float[] out, int k, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int t = 0; t < k; t++) {
                int wBase = r * cols;
                int xBase = t * cols;
                float sum = 0f;
                for (int c = 0; c < cols; c++) {
                    sum += x[xBase + c] * w[wBase + c];
                }
                out[t * rows + r] = bias[r] + sum;
            }
        }
    }

    /** {@code w} holds IEEE half-precision bit patterns, {@code table} is {@link Halves#f16Table()}. */
    public static void f16(float[] x, short[] w, float[] table, float[] bias, float[] out, int k, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int t = 0; t < k; t++) {
                int wBase = r * cols;
                int xBase = t * cols;
                float sum = 0f;
                for (int c = 0; c < cols; c++) {
                    sum += x[xBase + c] * table[w[wBase + c] + Halves.OFFSET];
                }
                out[t * rows + r] = bias[r] + sum;
            }
        }
    }

    /** {@code w} holds bfloat16 bit patterns, {@code table} is {@link Halves#bf16Table()}. */
    public static void bf16(float[] x, short[] w, float[] table, float[] bias, float[] out, int k, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int t = 0; t < k; t++) {
                int wBase = r * cols;
                int xBase = t * cols;
                float sum = 0f;
                for (int c = 0; c < cols; c++) {
                    sum += x[xBase + c] * table[w[wBase + c] + Halves.OFFSET];
                }
                out[t * rows + r] = bias[r] + sum;
            }
        }
    }

    /**
     * {@code w} holds Q8_0 blocks as llama.cpp lays them out: per 32 values an F16 scale (little-endian) and 32 signed
     * bytes; {@code table} is {@link Halves#f16Table()}.
     */
    public static void q8(float[] x, byte[] w, float[] table, float[] bias, float[] out, int k, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int t = 0; t < k; t++) {
                int blocks = cols / 32;
                int rowBase = r * blocks * 34;
                int xBase = t * cols;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    int at = rowBase + b * 34;
                    float scale = table[Halves.signedPair(w[at], w[at + 1]) + Halves.OFFSET];
                    int xb = xBase + b * 32;
                    float block = 0f;
                    for (int i = 0; i < 32; i++) {
                        block += x[xb + i] * w[at + 2 + i];
                    }
                    sum += scale * block;
                }
                out[t * rows + r] = bias[r] + sum;
            }
        }
    }
}
