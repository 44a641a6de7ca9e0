package dev.specdiff4j.tornado;

/**
 * Batched matrix multiply {@code out[t·rows + r] = bias[r] + Σ_c x[t·cols + c]·w[r·cols + c]} for weights in each
 * dtype, dequantized inline, for t below meta[ROWS]; parallel over rows and tokens. A matrix without bias gets a
 * zero bias. The weight layouts are those of {@link ArrayMatrix}.
 */
public final class MatmulKernels {
    private MatmulKernels() {
    }

    public static void f32(float[] x, float[] w, float[] bias, float[] out, int[] meta, int rows, int cols) {
        for (@Parallel int r = 0; r < Meta.fixed(rows); r++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
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

    /** F16 or BF16 weights packed two to an int, decoded by {@code table} ({@link ArrayMatrix#table()}). */
    public static void packed16(float[] x, int[] w, float[] table, float[] bias, float[] out, int[] meta, int rows, int cols) {
        for (@Parallel int r = 0; r < Meta.fixed(rows); r++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int wBase = r * cols;
                int xBase = t * cols;
                float sum = 0f;
                for (int c = 0; c < cols; c++) {
                    int e = wBase + c;
                    sum += x[xBase + c] * table[(w[e >> 1] >>> ((e & 1) << 4)) & 0xFFFF];
                }
                out[t * rows + r] = bias[r] + sum;
            }
        }
    }

    /** Q8_0 weights: one scale per block of 32 and the signed 8-bit values packed four to an int. */
    public static void q8(float[] x, float[] scales, int[] quants, float[] bias, float[] out, int[] meta, int rows, int cols) {
        for (@Parallel int r = 0; r < Meta.fixed(rows); r++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int blocks = cols / 32;
                int xBase = t * cols;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    int block = r * blocks + b;
                    int xb = xBase + b * 32;
                    float part = 0f;
                    for (int i = 0; i < 8; i++) {
                        int v = quants[block * 8 + i];
                        int xi = xb + 4 * i;
                        part += x[xi] * ((v << 24) >> 24) + x[xi + 1] * ((v << 16) >> 24)
                                + x[xi + 2] * ((v << 8) >> 24) + x[xi + 3] * (v >> 24);
                    }
                    sum += scales[block] * part;
                }
                out[t * rows + r] = bias[r] + sum;
            }
        }
    }
}
