package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Kernels that time every call of the kernels they wrap: where a forward pass spends its time, per operation and shape
 * ({@code matmul 1152x384 F16, 4 rows}, {@code attention, 4 rows}, ...). Each call is delegated unchanged, so the results
 * are the wrapped kernels' bits; the clock reads add about 50 ns per call. For profiles ({@code bench profile}), not for
 * serving.
 */
public final class ProfilingKernels implements Kernels {
    /** Time spent in one kind of call; {@code weightBytes} and {@code flops} are per call (0 where they do not apply). */
    public record Entry(String operation, long calls, long nanos, long weightBytes, long flops) {
        /** Weight bytes read per second, in GB/s (0 when the operation reads no weights). */
        public double gigabytesPerSecond() {
            return nanos == 0 ? 0 : (double) weightBytes * calls / nanos;
        }

        /** Floating-point operations per second, in GFLOP/s (0 when not counted). */
        public double gigaflopsPerSecond() {
            return nanos == 0 ? 0 : (double) flops * calls / nanos;
        }
    }

    private static final class Counter {
        final LongAdder calls = new LongAdder();
        final LongAdder nanos = new LongAdder();
        final long weightBytes;
        final long flops;

        Counter(long weightBytes, long flops) {
            this.weightBytes = weightBytes;
            this.flops = flops;
        }
    }

    private final Kernels inner;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public ProfilingKernels(Kernels inner) {
        if (inner == null) throw new IllegalArgumentException("no kernels to profile");
        this.inner = inner;
    }

    /** The kernels doing the work. */
    public Kernels inner() {
        return inner;
    }

    /** Forgets every call timed so far (for example the warm-up's). */
    public void reset() {
        counters.clear();
    }

    /** What was timed since the last {@link #reset}, most time first. */
    public List<Entry> entries() {
        List<Entry> list = new ArrayList<>();
        counters.forEach((op, c) -> list.add(new Entry(op, c.calls.sum(), c.nanos.sum(), c.weightBytes, c.flops)));
        list.sort(Comparator.comparingLong(Entry::nanos).reversed().thenComparing(Entry::operation));
        return list;
    }

    private void record(String operation, long weightBytes, long flops, long start) {
        long elapsed = System.nanoTime() - start;
        Counter c = counters.computeIfAbsent(operation, o -> new Counter(weightBytes, flops));
        c.calls.increment();
        c.nanos.add(elapsed);
    }

    private static String rows(int k) {
        return k == 1 ? "1 row" : k + " rows";
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String describe() {
        return inner.describe() + ", every call timed";
    }

    @Override
    public void matmul(float[] x, int k, Tensor w, float[] bias, float[] out) {
        long start = System.nanoTime();
        inner.matmul(x, k, w, bias, out);
        record("matmul " + w.rows() + "x" + w.cols() + " " + w.dtype() + ", " + rows(k), w.byteSize(), 2L * k * w.rows() * w.cols(), start);
    }

    @Override
    public void layerNorm(float[] x, int k, int dim, float[] weight, float[] bias, float eps, float[] out) {
        long start = System.nanoTime();
        inner.layerNorm(x, k, dim, weight, bias, eps, out);
        record("layerNorm, " + rows(k), 0, 0, start);
    }

    @Override
    public void rmsNorm(float[] x, int k, int dim, float[] weight, float eps, float[] out) {
        long start = System.nanoTime();
        inner.rmsNorm(x, k, dim, weight, eps, out);
        record("rmsNorm, " + rows(k), 0, 0, start);
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        long start = System.nanoTime();
        inner.swiglu(gate, up, n);
        record("swiglu", 0, 0, start);
    }

    @Override
    public void geluTanh(float[] x, int n) {
        long start = System.nanoTime();
        inner.geluTanh(x, n);
        record("gelu", 0, 0, start);
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        long start = System.nanoTime();
        inner.softmax(x, offset, n);
        record("softmax", 0, 0, start);
    }

    @Override
    public void residualAdd(float[] x, float[] y, float[] gate, int k, int dim) {
        long start = System.nanoTime();
        inner.residualAdd(x, y, gate, k, dim);
        record("residualAdd, " + rows(k), 0, 0, start);
    }

    @Override
    public void attention(float[] q, int k, float[] keys, float[] values, int kvLength, int firstPosition, boolean causal, int heads,
                          int headDim, float[] out) {
        long start = System.nanoTime();
        inner.attention(q, k, keys, values, kvLength, firstPosition, causal, heads, headDim, out);
        record("attention, " + rows(k), 0, 0, start);
    }

    @Override
    public void pagedAttention(float[] q, int k, float[][] pages, int keyBase, int valueBase, int pageRows, int firstPosition, int heads,
                               int headDim, float[] out) {
        long start = System.nanoTime();
        inner.pagedAttention(q, k, pages, keyBase, valueBase, pageRows, firstPosition, heads, headDim, out);
        record("pagedAttention, " + rows(k), 0, 0, start);
    }

    @Override
    public void treeAttention(float[] q, int k, float[] keys, float[] values, int prefix, int[][] visible, int heads, int headDim,
                              float[] out) {
        long start = System.nanoTime();
        inner.treeAttention(q, k, keys, values, prefix, visible, heads, headDim, out);
        record("treeAttention, " + rows(k), 0, 0, start);
    }

    @Override
    public void rope(float[] x, int k, int heads, int headDim, int firstPosition, float[] cos, float[] sin) {
        long start = System.nanoTime();
        inner.rope(x, k, heads, headDim, firstPosition, cos, sin);
        record("rope, " + rows(k), 0, 0, start);
    }

    @Override
    public void embedding(Tensor table, int[] ids, float[] out) {
        long start = System.nanoTime();
        inner.embedding(table, ids, out);
        record("embedding, " + rows(ids.length), 0, 0, start);
    }

    @Override
    public void close() {
        inner.close();
    }
}
