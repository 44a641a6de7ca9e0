package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.tensor.Tensor;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's kernel interface on the TornadoVM-style kernels, run as plain Java on one thread: the code a device
 * runs, exercised end to end on the CPU. Slow; weights are copied into arrays once per tensor and kept while the
 * tensor lives.
 */
public final class LoopKernels implements Kernels {
    private final Map<Tensor, ArrayMatrix> matrices = new WeakHashMap<>();
    private final Map<Integer, float[]> zeros = new ConcurrentHashMap<>();
    private final Map<Integer, float[]> ones = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "loop";
    }

    @Override
    public String describe() {
        return "loop (TornadoVM-style kernels as plain Java, 1 thread)";
    }

    private ArrayMatrix matrix(Tensor w) {
        synchronized (matrices) {
            return matrices.computeIfAbsent(w, ArrayMatrix::of);
        }
    }

    private float[] zeros(int n) {
        return zeros.computeIfAbsent(n, float[]::new);
    }

    private float[] ones(int n) {
        return ones.computeIfAbsent(n, size -> {
            float[] a = new float[size];
            Arrays.fill(a, 1f);
            return a;
        });
    }

    @Override
    public void matmul(float[] x, int k, Tensor w, float[] bias, float[] out) {
        ArrayMatrix m = matrix(w);
        if (x.length < k * m.cols() || out.length < k * m.rows()) {
            throw new IllegalArgumentException("matmul buffers too small for " + k + " rows of " + w);
        }
        m.matmul(x, bias == null ? zeros(m.rows()) : bias, out, k);
    }

    @Override
    public void layerNorm(float[] x, int k, int dim, float[] weight, float[] bias, float eps, float[] out) {
        NormKernels.layerNorm(x, weight, bias == null ? zeros(dim) : bias, out, Meta.rows(k), dim, eps);
    }

    @Override
    public void rmsNorm(float[] x, int k, int dim, float[] weight, float eps, float[] out) {
        NormKernels.rmsNorm(x, weight, out, Meta.rows(k), dim, eps);
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        NormKernels.swiglu(gate, up, Meta.rows(n), 1);
    }

    @Override
    public void geluTanh(float[] x, int n) {
        NormKernels.geluTanh(x, Meta.rows(n), 1);
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        NormKernels.softmaxRows(x, offset, 1, n);
    }

    @Override
    public void residualAdd(float[] x, float[] y, float[] gate, int k, int dim) {
        NormKernels.residualAdd(x, y, gate == null ? ones(dim) : gate, Meta.rows(k), dim);
    }

    @Override
    public void attention(float[] q, int k, float[] keys, float[] values, int kvLength, int firstPosition, boolean causal,
                          int heads, int headDim, float[] out) {
        if (causal && firstPosition + k > kvLength) {
            throw new IllegalArgumentException("the last query sees " + (firstPosition + k) + " keys but only " + kvLength + " are given");
        }
        AttentionKernels.attention(q, heads * headDim, keys, values, out, Meta.pass(k, firstPosition, kvLength, 0), heads, heads, headDim,
                causal ? 1 : 0);
    }

    @Override
    public void rope(float[] x, int k, int heads, int headDim, int firstPosition, float[] cos, float[] sin) {
        AttentionKernels.rope(x, 0, heads * headDim, Meta.pass(k, firstPosition, 0, 0), cos, sin, heads, headDim);
    }

    @Override
    public void embedding(Tensor table, int[] ids, float[] out) {
        for (int id : ids) {
            if (id < 0 || id >= table.rows()) {
                throw new IllegalArgumentException("token id " + id + " is outside the embedding table of " + table.rows() + " rows");
            }
        }
        matrix(table).embed(ids, out, ids.length);
    }
}
