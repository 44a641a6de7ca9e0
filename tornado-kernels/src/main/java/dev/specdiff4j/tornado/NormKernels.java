package dev.specdiff4j.tornado;

/**
 * Row-wise and element-wise kernels over meta[ROWS] rows: layer norm, RMSNorm (whole rows and per head), tanh-GELU, SwiGLU,
 * gated residual add, row copy; and softmax.
 */
public final class NormKernels {
    private NormKernels() {
    }

    /** {@code out[t] = (x[t] − mean) / sqrt(var + eps) · weight + bias} for rows of width dim; out may be x. */
    public static void layerNorm(float[] x, float[] weight, float[] bias, float[] out, int[] meta, int dim, float eps) {
        for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
            int base = t * dim;
            float sum = 0f;
            for (int i = 0; i < dim; i++) {
                sum += x[base + i];
            }
            float mean = sum / dim;
            float squares = 0f;
            for (int i = 0; i < dim; i++) {
                float centred = x[base + i] - mean;
                squares += centred * centred;
            }
            float inverse = (float) (1.0 / Math.sqrt(squares / dim + eps));
            for (int i = 0; i < dim; i++) {
                out[base + i] = (x[base + i] - mean) * inverse * weight[i] + bias[i];
            }
        }
    }

    /**
     * RMSNorm (Zhang and Sennrich 2019, "Root Mean Square Layer Normalization"): {@code out[t] = x[t] / sqrt(mean(x[t]²) + eps)
     * · weight} for rows of width dim; out may be x.
     */
    public static void rmsNorm(float[] x, float[] weight, float[] out, int[] meta, int dim, float eps) {
        for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
            int base = t * dim;
            float squares = 0f;
            for (int i = 0; i < dim; i++) {
                squares += x[base + i] * x[base + i];
            }
            float inverse = (float) (1.0 / Math.sqrt(squares / dim + eps));
            for (int i = 0; i < dim; i++) {
                out[base + i] = x[base + i] * inverse * weight[i];
            }
        }
    }

    /**
     * QK-norm (Qwen 3): RMSNorm in place of each of {@code heads} heads of width headDim, one weight shared by every head,
     * in the rows starting at {@code offset} (row t at {@code offset + t·stride}, so inside a fused q|k|v row). Parallel over
     * head × token.
     */
    public static void rmsNormHeads(float[] x, int offset, int stride, float[] weight, int[] meta, int heads, int headDim, float eps) {
        for (@Parallel int h = 0; h < Meta.fixed(heads); h++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int base = offset + t * stride + h * headDim;
                float squares = 0f;
                for (int i = 0; i < headDim; i++) {
                    squares += x[base + i] * x[base + i];
                }
                float inverse = (float) (1.0 / Math.sqrt(squares / headDim + eps));
                for (int i = 0; i < headDim; i++) {
                    x[base + i] = x[base + i] * inverse * weight[i];
                }
            }
        }
    }

    /**
     * SwiGLU's gating (Shazeer 2020, "GLU Variants Improve Transformer") in place on rows of width:
     * {@code gate = silu(gate) · up}, {@code silu(v) = v / (1 + e^−v)}.
     */
    public static void swiglu(float[] gate, float[] up, int[] meta, int width) {
        for (@Parallel int i = 0; i < meta[Meta.ROWS] * width; i++) {
            float v = gate[i];
            gate[i] = v / (1f + (float) Math.exp(-v)) * up[i];
        }
    }

    /** In place on rows of width: {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}, tanh written with exp. */
    public static void geluTanh(float[] x, int[] meta, int width) {
        for (@Parallel int i = 0; i < meta[Meta.ROWS] * width; i++) {
            float v = x[i];
            float u = 0.7978845608f * (v + 0.044715f * v * v * v);
            float tanh = 1f - 2f / ((float) Math.exp(2f * u) + 1f);
            x[i] = 0.5f * v * (1f + tanh);
        }
    }

    /** In place softmax of {@code rows} rows of width n starting at {@code offset}; sums in double. */
    public static void softmaxRows(float[] x, int offset, int rows, int n) {
        for (@Parallel int r = 0; r < Meta.fixed(rows); r++) {
            int base = offset + r * n;
            float max = x[base];
            for (int i = 1; i < n; i++) {
                max = Math.max(max, x[base + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(x[base + i] - max);
                x[base + i] = e;
                sum += e;
            }
            float inverse = (float) (1.0 / sum);
            for (int i = 0; i < n; i++) {
                x[base + i] = x[base + i] * inverse;
            }
        }
    }

    /** In place {@code x[t·dim + i] += gate[i]·y[t·dim + i]} (a plain residual has a gate of ones). */
    public static void residualAdd(float[] x, float[] y, float[] gate, int[] meta, int dim) {
        for (@Parallel int i = 0; i < meta[Meta.ROWS] * dim; i++) {
            x[i] = x[i] + gate[i % dim] * y[i];
        }
    }

    /** {@code dst[t] = src[meta[ROW0] + t]} for rows of width dim. */
    public static void copyRows(float[] src, float[] dst, int[] meta, int dim) {
        for (@Parallel int i = 0; i < meta[Meta.ROWS] * dim; i++) {
            dst[i] = src[meta[Meta.ROW0] * dim + i];
        }
    }
}
