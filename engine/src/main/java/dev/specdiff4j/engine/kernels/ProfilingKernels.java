package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** Wraps kernels and adds up the time spent in each operation (for finding where a token's time goes). */
public final class ProfilingKernels implements Kernels {
    private static final String[] OPS = {"matmul", "layerNorm", "geluTanh", "softmax", "residualAdd", "attention", "rope", "embedding"};
    private final Kernels inner;
    private final AtomicLongArray nanos = new AtomicLongArray(OPS.length);
    private final AtomicLongArray calls = new AtomicLongArray(OPS.length);

    public ProfilingKernels(Kernels inner) {
        this.inner = inner;
    }

    private void add(int op, long start) {
        nanos.addAndGet(op, System.nanoTime() - start);
        calls.incrementAndGet(op);
    }

    /** Milliseconds and call counts per operation since the last reset. */
    public Map<String, String> report() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < OPS.length; i++) m.put(OPS[i], String.format("%.2f ms in %d calls", nanos.get(i) / 1e6, calls.get(i)));
        return m;
    }

    public void reset() {
        for (int i = 0; i < OPS.length; i++) {
            nanos.set(i, 0);
            calls.set(i, 0);
        }
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String describe() {
        return inner.describe() + ", profiled";
    }

    @Override
    public void matmul(float[] x, int k, Tensor w, float[] bias, float[] out) {
        long t = System.nanoTime();
        inner.matmul(x, k, w, bias, out);
        add(0, t);
    }

    @Override
    public void layerNorm(float[] x, int k, int dim, float[] weight, float[] bias, float eps, float[] out) {
        long t = System.nanoTime();
        inner.layerNorm(x, k, dim, weight, bias, eps, out);
        add(1, t);
    }

    @Override
    public void geluTanh(float[] x, int n) {
        long t = System.nanoTime();
        inner.geluTanh(x, n);
        add(2, t);
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        long t = System.nanoTime();
        inner.softmax(x, offset, n);
        add(3, t);
    }

    @Override
    public void residualAdd(float[] x, float[] y, float[] gate, int k, int dim) {
        long t = System.nanoTime();
        inner.residualAdd(x, y, gate, k, dim);
        add(4, t);
    }

    @Override
    public void attention(float[] q, int k, float[] keys, float[] values, int kvLength, int firstPosition, boolean causal,
                          int heads, int headDim, float[] out) {
        long t = System.nanoTime();
        inner.attention(q, k, keys, values, kvLength, firstPosition, causal, heads, headDim, out);
        add(5, t);
    }

    @Override
    public void rope(float[] x, int k, int heads, int headDim, int firstPosition, float[] cos, float[] sin) {
        long t = System.nanoTime();
        inner.rope(x, k, heads, headDim, firstPosition, cos, sin);
        add(6, t);
    }

    @Override
    public void embedding(Tensor table, int[] ids, float[] out) {
        long t = System.nanoTime();
        inner.embedding(table, ids, out);
        add(7, t);
    }

    @Override
    public void close() {
        inner.close();
    }
}
