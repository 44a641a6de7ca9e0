package dev.specdiff4j.tornado.device;

import dev.specdiff4j.tornado.ArrayMatrix;
import dev.specdiff4j.tornado.AttentionKernels;
import dev.specdiff4j.tornado.DenoiseKernels;
import dev.specdiff4j.tornado.EmbeddingKernels;
import dev.specdiff4j.tornado.MatmulKernels;
import dev.specdiff4j.tornado.Meta;
import dev.specdiff4j.tornado.NormKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;

import java.util.ArrayList;
import java.util.List;

/**
 * Adds the kernels to a TaskGraph. The kernels' token loops are bounded by meta[ROWS], which TornadoVM cannot size
 * a launch from, so every task gets a worker grid; {@link #resize()} sets each grid from its meta array's current
 * row count before an execution. Grids are rounded up to whole work-groups (the kernels' loops skip the excess), and
 * the work-group size depends only on the fixed size of a kernel, never on the row count: drivers such as PoCL
 * compile a kernel again for every new work-group size.
 */
final class KernelTasks {
    static final int LOCAL = 64;
    private final TaskGraph graph;
    private final GridScheduler grids = new GridScheduler();
    private final List<Runnable> sizing = new ArrayList<>();

    KernelTasks(TaskGraph graph) {
        this.graph = graph;
    }

    GridScheduler grids() {
        return grids;
    }

    /** Sizes every grid from the row counts now in the meta arrays. */
    void resize() {
        sizing.forEach(Runnable::run);
    }

    private WorkerGrid grid(String task, WorkerGrid grid) {
        grid.setLocalWorkToNull();
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task, grid);
        return grid;
    }

    /** A work-group size for a launch of n threads per row: the power of two at least n, at most {@link #LOCAL}. */
    static int localSize(int n) {
        int local = 1;
        while (local < LOCAL && local < n) local *= 2;
        return local;
    }

    private static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** A 1D launch of {@code perRow} threads for each of meta[ROWS] rows. */
    private void rows(String task, int[] meta, int perRow) {
        WorkerGrid g = grid(task, new WorkerGrid1D(1));
        int local = localSize(perRow);
        sizing.add(() -> {
            g.setGlobalWork(roundUp((long) Math.max(1, meta[Meta.ROWS]) * perRow, local), 1, 1);
            g.setLocalWork(local, 1, 1);
        });
    }

    /** A 2D launch of {@code first} × meta[ROWS], as the kernels nest their loops (the fixed one outer). */
    private void fixedByRows(String task, int first, int[] meta) {
        WorkerGrid g = grid(task, new WorkerGrid2D(1, 1));
        int local = localSize(first);
        sizing.add(() -> {
            g.setGlobalWork(roundUp(first, local), Math.max(1, meta[Meta.ROWS]), 1);
            g.setLocalWork(local, 1, 1);
        });
    }

    void matmul(String task, float[] x, ArrayMatrix w, float[] bias, float[] out, int[] meta) {
        switch (w.dtype()) {
            case F32 -> graph.task(task, MatmulKernels::f32, x, w.floats(), bias, out, meta, w.rows(), w.cols());
            case F16, BF16 -> graph.task(task, MatmulKernels::packed16, x, w.words(), w.table(), bias, out, meta, w.rows(), w.cols());
            case Q8_0 -> graph.task(task, MatmulKernels::q8, x, w.floats(), w.words(), bias, out, meta, w.rows(), w.cols());
        }
        fixedByRows(task, w.rows(), meta);
    }

    void embedding(String task, ArrayMatrix table, int[] ids, float[] out, int[] meta) {
        switch (table.dtype()) {
            case F32 -> graph.task(task, EmbeddingKernels::f32, table.floats(), ids, out, meta, table.cols());
            case F16, BF16 -> graph.task(task, EmbeddingKernels::packed16, table.words(), table.table(), ids, out, meta, table.cols());
            case Q8_0 -> graph.task(task, EmbeddingKernels::q8, table.floats(), table.words(), ids, out, meta, table.cols());
        }
        fixedByRows(task, table.cols(), meta);
    }

    void embeddingF32(String task, float[] table, int[] ids, float[] out, int[] meta, int dim) {
        graph.task(task, EmbeddingKernels::f32, table, ids, out, meta, dim);
        fixedByRows(task, dim, meta);
    }

    void positions(String task, int[] meta, int[] ids, int limit) {
        graph.task(task, EmbeddingKernels::positions, meta, ids, limit);
        rows(task, meta, 1);
    }

    void layerNorm(String task, float[] x, float[] weight, float[] bias, float[] out, int[] meta, int dim, float eps) {
        graph.task(task, NormKernels::layerNorm, x, weight, bias, out, meta, dim, eps);
        rows(task, meta, 1);
    }

    void rmsNorm(String task, float[] x, float[] weight, float[] out, int[] meta, int dim, float eps) {
        graph.task(task, NormKernels::rmsNorm, x, weight, out, meta, dim, eps);
        rows(task, meta, 1);
    }

    void rmsNormHeads(String task, float[] x, int offset, int stride, float[] weight, int[] meta, int heads, int headDim, float eps) {
        graph.task(task, NormKernels::rmsNormHeads, x, offset, stride, weight, meta, heads, headDim, eps);
        fixedByRows(task, heads, meta);
    }

    void swiglu(String task, float[] gate, float[] up, int[] meta, int width) {
        graph.task(task, NormKernels::swiglu, gate, up, meta, width);
        rows(task, meta, width);
    }

    void gelu(String task, float[] x, int[] meta, int width) {
        graph.task(task, NormKernels::geluTanh, x, meta, width);
        rows(task, meta, width);
    }

    void residualAdd(String task, float[] x, float[] y, float[] gate, int[] meta, int dim) {
        graph.task(task, NormKernels::residualAdd, x, y, gate, meta, dim);
        rows(task, meta, dim);
    }

    void copyRows(String task, float[] src, float[] dst, int[] meta, int dim) {
        graph.task(task, NormKernels::copyRows, src, dst, meta, dim);
        rows(task, meta, dim);
    }

    void storeKv(String task, float[] qkv, float[] keys, float[] values, int[] meta, int qDim, int kvDim) {
        graph.task(task, AttentionKernels::storeKv, qkv, keys, values, meta, qDim, kvDim);
        fixedByRows(task, kvDim, meta);
    }

    void rope(String task, float[] x, int offset, int stride, int[] meta, float[] cos, float[] sin, int heads, int headDim) {
        graph.task(task, AttentionKernels::rope, x, offset, stride, meta, cos, sin, heads, headDim);
        fixedByRows(task, heads, meta);
    }

    void attention(String task, float[] q, int qStride, float[] keys, float[] values, float[] out, int[] meta, int heads, int kvHeads,
                   int headDim, boolean causal) {
        graph.task(task, AttentionKernels::attention, q, qStride, keys, values, out, meta, heads, kvHeads, headDim, causal ? 1 : 0);
        fixedByRows(task, heads, meta);
    }

    /**
     * The greedy unmasking step over a fixed number of block rows: the chunked argmax (one work-item per row and chunk
     * of the vocabulary), then the stay-or-unmask decision (one per row).
     */
    void unmaskGreedy(String argmaxTask, String unmaskTask, float[] logits, int[] partial, int[] block, double[] step, double[] stay,
                      int[] changed, int rows, int vocab, int maskId) {
        graph.task(argmaxTask, DenoiseKernels::argmaxChunks, logits, block, partial, rows, vocab, maskId);
        fixed(argmaxTask, rows * DenoiseKernels.chunks(vocab));
        graph.task(unmaskTask, DenoiseKernels::unmaskGreedy, logits, partial, block, step, stay, changed, rows, vocab, maskId);
        fixed(unmaskTask, rows);
    }

    /** A 1D launch of a fixed {@code n} threads. */
    private void fixed(String task, int n) {
        WorkerGrid g = grid(task, new WorkerGrid1D(1));
        int local = localSize(n);
        g.setGlobalWork(roundUp(n, local), 1, 1);
        g.setLocalWork(local, 1, 1);
    }
}
