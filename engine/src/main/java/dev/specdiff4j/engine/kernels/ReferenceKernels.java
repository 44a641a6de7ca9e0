package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Tensor;

/**
 * Plain scalar Java, accumulating in double: slow, obviously right, and the oracle every other
 * implementation is tested against.
 */
public final class ReferenceKernels implements Kernels {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String describe() {
        return "reference (scalar Java, 1 thread)";
    }

    @Override
    public void matmul(float[] x, int k, Tensor w, float[] bias, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.read((long) r * cols, cols, row, 0);
            for (int t = 0; t < k; t++) {
                double sum = bias == null ? 0 : bias[r];
                for (int c = 0; c < cols; c++) sum += (double) x[t * cols + c] * row[c];
                out[t * rows + r] = (float) sum;
            }
        }
    }

    @Override
    public void layerNorm(float[] x, int k, int dim, float[] weight, float[] bias, float eps, float[] out) {
        for (int t = 0; t < k; t++) {
            int base = t * dim;
            double mean = 0;
            for (int i = 0; i < dim; i++) mean += x[base + i];
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) var += (x[base + i] - mean) * (x[base + i] - mean);
            var /= dim;
            double inv = 1.0 / Math.sqrt(var + eps);
            for (int i = 0; i < dim; i++) {
                out[base + i] = (float) ((x[base + i] - mean) * inv * weight[i] + (bias == null ? 0 : bias[i]));
            }
        }
    }

    @Override
    public void geluTanh(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[offset + i]);
        double sum = 0;
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = Math.exp(x[offset + i] - max);
            sum += e[i];
        }
        for (int i = 0; i < n; i++) x[offset + i] = (float) (e[i] / sum);
    }

    @Override
    public void residualAdd(float[] x, float[] y, float[] gate, int k, int dim) {
        for (int t = 0; t < k; t++) {
            for (int i = 0; i < dim; i++) x[t * dim + i] += (gate == null ? 1f : gate[i]) * y[t * dim + i];
        }
    }

    @Override
    public void attention(float[] q, int k, float[] keys, float[] values, int kvLength, int firstPosition, boolean causal,
                          int heads, int headDim, float[] out) {
        int dim = heads * headDim;
        double scale = 1.0 / Math.sqrt(headDim);
        for (int t = 0; t < k; t++) {
            int visible = causal ? firstPosition + t + 1 : kvLength;
            for (int h = 0; h < heads; h++) {
                double[] scores = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double s = 0;
                    for (int i = 0; i < headDim; i++) s += (double) q[t * dim + h * headDim + i] * keys[j * dim + h * headDim + i];
                    scores[j] = s * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int i = 0; i < headDim; i++) {
                    double acc = 0;
                    for (int j = 0; j < visible; j++) acc += scores[j] * values[j * dim + h * headDim + i];
                    out[t * dim + h * headDim + i] = (float) (acc / sum);
                }
            }
        }
    }

    @Override
    public void rope(float[] x, int k, int heads, int headDim, int firstPosition, float[] cos, float[] sin) {
        int half = headDim / 2;
        int dim = heads * headDim;
        for (int t = 0; t < k; t++) {
            int table = (firstPosition + t) * half;
            for (int h = 0; h < heads; h++) {
                int base = t * dim + h * headDim;
                for (int i = 0; i < half; i++) {
                    double a = x[base + i];
                    double b = x[base + i + half];
                    x[base + i] = (float) (a * cos[table + i] - b * sin[table + i]);
                    x[base + i + half] = (float) (b * cos[table + i] + a * sin[table + i]);
                }
            }
        }
    }

    @Override
    public void embedding(Tensor table, int[] ids, float[] out) {
        int dim = table.cols();
        for (int t = 0; t < ids.length; t++) {
            checkId(table, ids[t]);
            table.read((long) ids[t] * dim, dim, out, t * dim);
        }
    }

    static void checkId(Tensor table, int id) {
        if (id < 0 || id >= table.rows()) {
            throw new IllegalArgumentException("token id " + id + " is outside the embedding table of " + table.rows() + " rows");
        }
    }
}
