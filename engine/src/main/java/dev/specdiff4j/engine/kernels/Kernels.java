package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Tensor;

/**
 * The numeric work of the models. Activations are row-major {@code float[]} holding {@code k} rows (k
 * tokens); weights are {@link Tensor}s of any dtype, matrices stored [out, in]. Every implementation
 * must agree with {@link ReferenceKernels}, the scalar oracle.
 *
 * <p>Implementations are safe to call from several threads (calls may be serialised internally); a
 * model that should run beside another on disjoint cores gets its own instance.
 */
public interface Kernels extends AutoCloseable {

    /**
     * Short name: "reference", "vector". (Accelerators such as TornadoVM are
     * {@link dev.specdiff4j.engine.device.DeviceBackend}s, not kernels.)
     */
    String name();

    /** What runs, for the user: implementation, vector width, threads or device. */
    String describe();

    /**
     * Batched matrix multiply: {@code out[t][r] = bias[r] + Σ_c x[t][c]·w[r][c]} for {@code t < k}. The
     * weights are read once for all k rows, so k = γ+1 (a verification pass) costs little more than k = 1.
     *
     * @param bias may be null
     */
    void matmul(float[] x, int k, Tensor w, float[] bias, float[] out);

    /**
     * Layer normalisation of k rows of width {@code dim}: {@code (x − mean) / sqrt(var + eps) · weight + bias}
     * ({@code bias} may be null). {@code out} may be {@code x}.
     */
    void layerNorm(float[] x, int k, int dim, float[] weight, float[] bias, float eps, float[] out);

    /**
     * RMS normalisation (Zhang and Sennrich 2019, as in Llama and Qwen) of k rows of width {@code dim}:
     * {@code x / sqrt(mean(x²) + eps) · weight}. {@code out} may be {@code x}. Row by row, so a row's result does not
     * depend on the others.
     */
    default void rmsNorm(float[] x, int k, int dim, float[] weight, float eps, float[] out) {
        for (int t = 0; t < k; t++) {
            int base = t * dim;
            double sumOfSquares = 0;
            for (int i = 0; i < dim; i++) sumOfSquares += (double) x[base + i] * x[base + i];
            double inv = 1.0 / Math.sqrt(sumOfSquares / dim + eps);
            for (int i = 0; i < dim; i++) out[base + i] = (float) (x[base + i] * inv * weight[i]);
        }
    }

    /**
     * SwiGLU's gating (Shazeer 2020, "GLU Variants Improve Transformer"), in place on the first n values:
     * {@code gate = silu(gate) · up} with {@code silu(v) = v / (1 + e^−v)}.
     */
    default void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            double v = gate[i];
            gate[i] = (float) (v / (1 + Math.exp(-v)) * up[i]);
        }
    }

    /** In place: {@code x = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))} for the first n values. */
    void geluTanh(float[] x, int n);

    /** In place softmax of {@code x[offset .. offset+n)}. */
    void softmax(float[] x, int offset, int n);

    /** In place: {@code x[t][i] += gate[i]·y[t][i]} for k rows of width dim ({@code gate} may be null: 1). */
    void residualAdd(float[] x, float[] y, float[] gate, int k, int dim);

    /**
     * Multi-head attention of k query rows against {@code kvLength} key/value rows (all rows are
     * {@code heads·headDim} wide). Query t sees keys {@code [0, firstPosition + t + 1)} when causal (t is at
     * absolute position firstPosition + t), all {@code kvLength} keys otherwise. Scores are scaled by
     * 1/√headDim. Writes k rows to {@code out}.
     */
    void attention(float[] q, int k, float[] keys, float[] values, int kvLength, int firstPosition, boolean causal,
                   int heads, int headDim, float[] out);

    /**
     * Causal attention as {@link #attention}, over a cache kept in fixed-size pages (a paged KV cache): key row j (absolute
     * position j) lies in {@code pages[j / pageRows]} at offset {@code keyBase + (j % pageRows)·heads·headDim}, value row j at
     * {@code valueBase + ...} of the same page. Query t is at position {@code firstPosition + t} and sees rows
     * {@code [0, firstPosition + t + 1)}, in order, so the result equals {@link #attention} over the same rows laid out
     * contiguously, bit for bit.
     *
     * <p>The default gathers the rows into contiguous arrays and calls {@link #attention}; implementations may index instead.
     */
    default void pagedAttention(float[] q, int k, float[][] pages, int keyBase, int valueBase, int pageRows, int firstPosition,
                                int heads, int headDim, float[] out) {
        int dim = heads * headDim;
        int rows = firstPosition + k;
        float[] keys = new float[rows * dim];
        float[] values = new float[rows * dim];
        for (int j = 0; j < rows; j++) {
            int offset = (j % pageRows) * dim;
            System.arraycopy(pages[j / pageRows], keyBase + offset, keys, j * dim, dim);
            System.arraycopy(pages[j / pageRows], valueBase + offset, values, j * dim, dim);
        }
        attention(q, k, keys, values, rows, firstPosition, true, heads, headDim, out);
    }

    /**
     * Attention of k query rows that form a token tree after a cached prefix (token-tree verification). The keys and values
     * hold the prefix in rows {@code [0, prefix)} and the k tree rows after it; query t sees the prefix and then the tree rows
     * {@code prefix + a} for each {@code a} in {@code visible[t]} (ascending: its ancestors and itself), in that order. A row
     * that sees a root-to-node path therefore computes exactly what {@link #attention} computes for the same path laid out
     * linearly, with the same summation order: the logits of a tree row equal those of the linear path bit for bit.
     *
     * <p>The default gathers each query's visible rows and calls {@link #attention} on them; implementations may index instead.
     */
    default void treeAttention(float[] q, int k, float[] keys, float[] values, int prefix, int[][] visible, int heads, int headDim,
                               float[] out) {
        int dim = heads * headDim;
        float[] row = new float[dim];
        float[] result = new float[dim];
        for (int t = 0; t < k; t++) {
            int count = prefix + visible[t].length;
            float[] gatheredKeys = new float[count * dim];
            float[] gatheredValues = new float[count * dim];
            System.arraycopy(keys, 0, gatheredKeys, 0, prefix * dim);
            System.arraycopy(values, 0, gatheredValues, 0, prefix * dim);
            for (int i = 0; i < visible[t].length; i++) {
                int from = (prefix + visible[t][i]) * dim;
                System.arraycopy(keys, from, gatheredKeys, (prefix + i) * dim, dim);
                System.arraycopy(values, from, gatheredValues, (prefix + i) * dim, dim);
            }
            System.arraycopy(q, t * dim, row, 0, dim);
            attention(row, 1, gatheredKeys, gatheredValues, count, count - 1, true, heads, headDim, result);
            System.arraycopy(result, 0, out, t * dim, dim);
        }
    }

    /**
     * GPT-NeoX rotary embedding ("rotate half") in place on k rows of {@code heads·headDim}: in each head,
     * element i and i + headDim/2 are rotated by the angle of position {@code firstPosition + t} and
     * frequency i; {@code cos} / {@code sin} are tables [position][headDim/2].
     */
    void rope(float[] x, int k, int heads, int headDim, int firstPosition, float[] cos, float[] sin);

    /** Embedding lookup: {@code out[t] = table[ids[t]]}. */
    void embedding(Tensor table, int[] ids, float[] out);

    @Override
    default void close() {
    }
}
