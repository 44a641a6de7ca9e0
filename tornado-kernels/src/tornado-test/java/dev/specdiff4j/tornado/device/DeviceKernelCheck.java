package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.tornado.Agreement;
import dev.specdiff4j.tornado.ArrayMatrix;
import dev.specdiff4j.tornado.DenoiseKernels;
import dev.specdiff4j.tornado.Meta;
import dev.specdiff4j.tornado.NormKernels;
import dev.specdiff4j.tornado.SamplerRule;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Every kernel run through a TaskGraph on a TornadoVM device and compared with ReferenceKernels (the unmasking
 * step with DiffusionSampler's rule), with the bounds of the plain-Java tests. Kernels whose row count comes from
 * the meta array run twice on the same compiled graph, with different counts. Arguments: [--device B:D] [--only TEXT]
 * (the checks whose name contains TEXT).
 */
public final class DeviceKernelCheck {
    private static final ReferenceKernels REF = new ReferenceKernels();
    private static int graphs;
    private static TornadoDevice device;

    /** One compiled graph of one or more kernels; inputs go over and outputs come back on every execution. */
    private static final class OnDevice implements AutoCloseable {
        private final KernelTasks tasks;
        private final TornadoExecutionPlan plan;

        OnDevice(Object[] in, Object[] out, Consumer<KernelTasks> gridTasks, Consumer<TaskGraph> plainTasks) {
            TaskGraph graph = new TaskGraph("check" + ++graphs);
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
            tasks = new KernelTasks(graph);
            if (gridTasks != null) gridTasks.accept(tasks);
            if (plainTasks != null) plainTasks.accept(graph);
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            TornadoExecutionPlan p = new TornadoExecutionPlan(graph.snapshot()).withDevice(device);
            plan = gridTasks != null ? p.withGridScheduler(tasks.grids()) : p;
        }

        void run() {
            tasks.resize();
            plan.execute();
        }

        @Override
        public void close() throws TornadoExecutionPlanException {
            plan.close();
        }
    }

    public static void main(String[] args) {
        String id = null;
        String only = "";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--device" -> id = args[i + 1];
                case "--only" -> only = args[i + 1];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        String id0 = id;
        Check check = new Check(only);
        check.run("device", () -> {
            device = Devices.find(id0);
            return Devices.describe(device);
        });
        if (device == null) check.finish("device kernel checks");
        for (DType dtype : DType.values()) check.run("matmul " + dtype.displayName(), () -> matmul(dtype));
        for (DType dtype : DType.values()) check.run("embedding " + dtype.displayName() + " (exact)", () -> embedding(dtype));
        check.run("positions", DeviceKernelCheck::positions);
        check.run("layer norm, out of place and in place", DeviceKernelCheck::layerNorm);
        check.run("tanh-GELU", DeviceKernelCheck::gelu);
        check.run("gated residual add", DeviceKernelCheck::residualAdd);
        check.run("copy rows (exact)", DeviceKernelCheck::copyRows);
        check.run("softmax rows", DeviceKernelCheck::softmax);
        check.run("attention causal, KV slot offset, fused q", () -> attention(true));
        check.run("attention bidirectional, KV slot offset, fused q", () -> attention(false));
        check.run("attention with grouped key/value heads (GQA), fused q", DeviceKernelCheck::groupedAttention);
        check.run("KV cache store (exact)", DeviceKernelCheck::storeKv);
        check.run("RMSNorm, out of place and in place", DeviceKernelCheck::rmsNorm);
        check.run("QK-norm: RMSNorm per head inside fused rows", DeviceKernelCheck::rmsNormHeads);
        check.run("SwiGLU", DeviceKernelCheck::swiglu);
        check.run("rotary embedding of fused q and k", DeviceKernelCheck::rope);
        check.run("MDLM unmasking step, greedy and sampled", DeviceKernelCheck::unmask);
        check.run("MDLM greedy step, chunked argmax", DeviceKernelCheck::unmaskGreedy);
        check.finish("device kernel checks");
    }

    private static String matmul(DType dtype) throws Exception {
        Random rnd = new Random(60 + dtype.ordinal());
        int b = dtype.blockElements(); // block-quantized rows hold whole blocks (the dtypes without device kernels run as F32)
        int[][] shapes = b > 1 ? new int[][] {{67, 3 * b, 5}, {33, 9 * b, 13}, {130, b, 1}} : new int[][] {{67, 129, 5}, {130, 65, 1}, {33, 257, 13}};
        double worst = 0;
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            int k = shape[2];
            Tensor w = Agreement.weights(rnd, dtype, rows, cols);
            ArrayMatrix m = ArrayMatrix.of(w);
            float[] bias = Agreement.random(rnd, rows, 1);
            float[] x = Agreement.random(rnd, k * cols, 1);
            float[] out = new float[k * rows];
            int[] meta = Meta.rows(k);
            Object[] in = m.floats() != null && m.words() != null ? new Object[] {x, m.floats(), m.words(), bias, meta}
                    : m.floats() != null ? new Object[] {x, m.floats(), bias, meta} : new Object[] {x, m.words(), m.table(), bias, meta};
            try (OnDevice graph = new OnDevice(in, new Object[] {out}, t -> t.matmul("mm", x, m, bias, out, meta), null)) {
                for (int rowsNow : new int[] {k, Math.max(1, k / 2)}) {
                    meta[Meta.ROWS] = rowsNow;
                    graph.run();
                    float[] expected = new float[rowsNow * rows];
                    REF.matmul(x, rowsNow, w, bias, expected);
                    worst = Math.max(worst, Agreement.matmul(out, expected, x, w, bias, rowsNow, dtype + " " + rows + "x" + cols + " k=" + rowsNow));
                }
            }
        }
        return String.format("3 shapes, 2 row counts each; worst error %.2f of the bound", worst);
    }

    private static String embedding(DType dtype) throws Exception {
        Random rnd = new Random(70 + dtype.ordinal());
        int dim = dtype.blockElements() > 1 ? 3 * dtype.blockElements() : 37;
        Tensor table = Agreement.weights(rnd, dtype, 51, dim);
        ArrayMatrix m = ArrayMatrix.of(table);
        int[] ids = {0, 50, 3, 3, 17, 49, 1};
        float[] out = new float[ids.length * dim];
        int[] meta = Meta.rows(ids.length);
        Object[] in = m.floats() != null && m.words() != null ? new Object[] {m.floats(), m.words(), ids, meta}
                : m.floats() != null ? new Object[] {m.floats(), ids, meta} : new Object[] {m.words(), m.table(), ids, meta};
        try (OnDevice graph = new OnDevice(in, new Object[] {out}, t -> t.embedding("embed", m, ids, out, meta), null)) {
            graph.run();
        }
        float[] expected = new float[ids.length * dim];
        REF.embedding(table, ids, expected);
        Agreement.exact(out, expected, "embedding " + dtype);
        return null;
    }

    private static String positions() throws Exception {
        int[] meta = Meta.pass(5, 7, 0, 0);
        int[] ids = new int[8];
        try (OnDevice graph = new OnDevice(new Object[] {meta}, new Object[] {ids}, t -> t.positions("pos", meta, ids, 10), null)) {
            graph.run();
            Agreement.exact(Arrays.copyOf(ids, 5), new int[] {7, 8, 9, 9, 9}, "positions");
            meta[Meta.ROWS] = 2;
            meta[Meta.START] = 0;
            graph.run();
            Agreement.exact(Arrays.copyOf(ids, 2), new int[] {0, 1}, "positions");
        }
        return null;
    }

    private static String layerNorm() throws Exception {
        Random rnd = new Random(1);
        double worst = 0;
        for (int dim : new int[] {129, 769}) {
            int k = 5;
            float[] x = Agreement.random(rnd, k * dim, 3);
            for (int i = 0; i < x.length; i++) x[i] += 5;
            float[] w = Agreement.random(rnd, dim, 1);
            float[] b = Agreement.random(rnd, dim, 1);
            float[] out = new float[x.length];
            float[] inPlace = x.clone();
            int[] meta = Meta.rows(k);
            float[] expected = new float[x.length];
            REF.layerNorm(x, k, dim, w, b, 1e-5f, expected);
            try (OnDevice graph = new OnDevice(new Object[] {x, w, b, meta, inPlace}, new Object[] {out, inPlace}, t -> {
                t.layerNorm("ln", x, w, b, out, meta, dim, 1e-5f);
                t.layerNorm("lnInPlace", inPlace, w, b, inPlace, meta, dim, 1e-5f);
            }, null)) {
                graph.run();
            }
            worst = Math.max(worst, Agreement.close(out, expected, 2e-5, 1e-6, "layerNorm dim=" + dim));
            worst = Math.max(worst, Agreement.close(inPlace, expected, 2e-5, 1e-6, "layerNorm in place dim=" + dim));
        }
        return String.format("worst error %.2f of the bound", worst);
    }

    private static String gelu() throws Exception {
        Random rnd = new Random(2);
        int width = 1001;
        float[] x = Agreement.random(rnd, 3 * width, 4);
        x[0] = -30;
        x[1] = 40;
        float[] expected = x.clone();
        REF.geluTanh(expected, 2 * width);
        int[] meta = Meta.rows(2);
        try (OnDevice graph = new OnDevice(new Object[] {x, meta}, new Object[] {x}, t -> t.gelu("gelu", x, meta, width), null)) {
            graph.run();
        }
        double worst = Agreement.close(x, expected, 1e-6, 1e-6, "gelu");
        return String.format("2 rows of %d, third row untouched; worst error %.2f of the bound", width, worst);
    }

    private static String residualAdd() throws Exception {
        Random rnd = new Random(4);
        int dim = 65;
        int k = 5;
        float[] x = Agreement.random(rnd, k * dim, 1);
        float[] y = Agreement.random(rnd, k * dim, 1);
        float[] gate = Agreement.random(rnd, dim, 1);
        float[] expected = x.clone();
        REF.residualAdd(expected, y, gate, 3, dim);
        int[] meta = Meta.rows(3);
        try (OnDevice graph = new OnDevice(new Object[] {x, y, gate, meta}, new Object[] {x}, t -> t.residualAdd("add", x, y, gate, meta, dim), null)) {
            graph.run();
        }
        double worst = Agreement.close(x, expected, 1e-6, 1e-7, "residual add"); // the device fuses multiply and add
        if (!Arrays.equals(Arrays.copyOfRange(x, 3 * dim, 5 * dim), Arrays.copyOfRange(expected, 3 * dim, 5 * dim))) {
            throw new AssertionError("rows past meta[ROWS] changed");
        }
        return String.format("3 of 5 rows, the others untouched; worst error %.2f of the bound", worst);
    }

    private static String copyRows() throws Exception {
        float[] src = new float[6 * 7];
        for (int i = 0; i < src.length; i++) src[i] = i;
        float[] dst = new float[3 * 7];
        int[] meta = Meta.copy(3, 2);
        try (OnDevice graph = new OnDevice(new Object[] {src, meta}, new Object[] {dst}, t -> t.copyRows("copy", src, dst, meta, 7), null)) {
            graph.run();
        }
        Agreement.exact(dst, Arrays.copyOfRange(src, 14, 35), "copy rows");
        return null;
    }

    private static String softmax() throws Exception {
        Random rnd = new Random(3);
        int n = 769;
        int rows = 3;
        float[] x = Agreement.random(rnd, 5 + rows * n, 6);
        float[] expected = x.clone();
        for (int r = 0; r < rows; r++) REF.softmax(expected, 5 + r * n, n);
        try (OnDevice graph = new OnDevice(new Object[] {x}, new Object[] {x}, null, g -> g.task("softmax", NormKernels::softmaxRows, x, 5, rows, n))) {
            graph.run();
        }
        return String.format("worst error %.2f of the bound", Agreement.close(x, expected, 2e-5, 1e-7, "softmax"));
    }

    private static String attention(boolean causal) throws Exception {
        Random rnd = new Random(causal ? 8 : 9);
        double worst = 0;
        for (int headDim : new int[] {17, 64}) {
            int heads = 3;
            int dim = heads * headDim;
            int k = 9;
            int prefix = 20;
            int kvLength = prefix + k + 3;
            int base = 7 * dim;
            float[] q = Agreement.random(rnd, k * dim, 1);
            float[] qkv = Agreement.random(rnd, k * 3 * dim, 1);
            for (int t = 0; t < k; t++) System.arraycopy(q, t * dim, qkv, t * 3 * dim, dim);
            float[] keys = Agreement.random(rnd, base + kvLength * dim, 1);
            float[] values = Agreement.random(rnd, base + kvLength * dim, 1);
            float[] out = new float[k * dim];
            int[] meta = Meta.pass(k, prefix, kvLength, base);
            try (OnDevice graph = new OnDevice(new Object[] {qkv, keys, values, meta}, new Object[] {out},
                    t -> t.attention("attention", qkv, 3 * dim, keys, values, out, meta, heads, heads, headDim, causal), null)) {
                for (int rowsNow : new int[] {k, 4}) {
                    meta[Meta.ROWS] = rowsNow;
                    graph.run();
                    float[] expected = new float[rowsNow * dim];
                    REF.attention(q, rowsNow, Arrays.copyOfRange(keys, base, keys.length), Arrays.copyOfRange(values, base, values.length), kvLength,
                            prefix, causal, heads, headDim, expected);
                    worst = Math.max(worst, Agreement.close(Arrays.copyOf(out, rowsNow * dim), expected, 2e-5, 1e-6, "attention headDim=" + headDim));
                }
            }
        }
        return String.format("head dims 17 and 64, 9 then 4 queries; worst error %.2f of the bound", worst);
    }

    /** GQA against multi-head attention over the key/value heads repeated for each query head of their group. */
    private static String groupedAttention() throws Exception {
        Random rnd = new Random(10);
        int heads = 6;
        int kvHeads = 2;
        int headDim = 17;
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        int width = qDim + 2 * kvDim;
        int k = 5;
        int prefix = 11;
        int kvLength = prefix + k;
        int base = 3 * kvDim;
        float[] qkv = Agreement.random(rnd, k * width, 1);
        float[] keys = Agreement.random(rnd, base + kvLength * kvDim, 1);
        float[] values = Agreement.random(rnd, base + kvLength * kvDim, 1);
        float[] q = new float[k * qDim];
        for (int t = 0; t < k; t++) System.arraycopy(qkv, t * width, q, t * qDim, qDim);
        float[] repeatedKeys = new float[kvLength * qDim];
        float[] repeatedValues = new float[kvLength * qDim];
        for (int j = 0; j < kvLength; j++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(keys, base + j * kvDim + h / (heads / kvHeads) * headDim, repeatedKeys, j * qDim + h * headDim, headDim);
                System.arraycopy(values, base + j * kvDim + h / (heads / kvHeads) * headDim, repeatedValues, j * qDim + h * headDim, headDim);
            }
        }
        float[] out = new float[k * qDim];
        int[] meta = Meta.pass(k, prefix, kvLength, base);
        try (OnDevice graph = new OnDevice(new Object[] {qkv, keys, values, meta}, new Object[] {out},
                t -> t.attention("gqa", qkv, width, keys, values, out, meta, heads, kvHeads, headDim, true), null)) {
            graph.run();
        }
        float[] expected = new float[k * qDim];
        REF.attention(q, k, repeatedKeys, repeatedValues, kvLength, prefix, true, heads, headDim, expected);
        return String.format("6 query heads on 2 key/value heads; worst error %.2f of the bound", Agreement.close(out, expected, 2e-5, 1e-6, "GQA"));
    }

    private static String rmsNorm() throws Exception {
        Random rnd = new Random(12);
        double worst = 0;
        for (int dim : new int[] {129, 769}) {
            int k = 5;
            float[] x = Agreement.random(rnd, k * dim, 3);
            for (int i = 0; i < x.length; i++) x[i] += 2;
            float[] w = Agreement.random(rnd, dim, 1);
            float[] out = new float[x.length];
            float[] inPlace = x.clone();
            int[] meta = Meta.rows(k);
            float[] expected = new float[x.length];
            REF.rmsNorm(x, k, dim, w, 1e-6f, expected);
            try (OnDevice graph = new OnDevice(new Object[] {x, w, meta, inPlace}, new Object[] {out, inPlace}, t -> {
                t.rmsNorm("rms", x, w, out, meta, dim, 1e-6f);
                t.rmsNorm("rmsInPlace", inPlace, w, inPlace, meta, dim, 1e-6f);
            }, null)) {
                graph.run();
            }
            worst = Math.max(worst, Agreement.close(out, expected, 2e-5, 1e-6, "rmsNorm dim=" + dim));
            worst = Math.max(worst, Agreement.close(inPlace, expected, 2e-5, 1e-6, "rmsNorm in place dim=" + dim));
        }
        return String.format("worst error %.2f of the bound", worst);
    }

    private static String rmsNormHeads() throws Exception {
        Random rnd = new Random(13);
        int headDim = 48;
        int kvHeads = 2;
        int qDim = 4 * headDim;
        int width = qDim + 2 * kvHeads * headDim;
        int k = 3;
        float[] qkv = Agreement.random(rnd, k * width, 3);
        float[] before = qkv.clone();
        float[] w = Agreement.random(rnd, headDim, 1);
        int[] meta = Meta.rows(k);
        try (OnDevice graph = new OnDevice(new Object[] {qkv, w, meta}, new Object[] {qkv},
                t -> t.rmsNormHeads("kNorm", qkv, qDim, width, w, meta, kvHeads, headDim, 1e-6f), null)) {
            graph.run();
        }
        double worst = 0;
        for (int t = 0; t < k; t++) {
            float[] keys = Arrays.copyOfRange(before, t * width + qDim, t * width + qDim + kvHeads * headDim);
            float[] expected = new float[keys.length];
            REF.rmsNorm(keys, kvHeads, headDim, w, 1e-6f, expected);
            worst = Math.max(worst, Agreement.close(Arrays.copyOfRange(qkv, t * width + qDim, t * width + qDim + kvHeads * headDim), expected,
                    2e-5, 1e-6, "k heads"));
            Agreement.exact(Arrays.copyOfRange(qkv, t * width, t * width + qDim), Arrays.copyOfRange(before, t * width, t * width + qDim), "q untouched");
        }
        return String.format("the k heads of fused rows; worst error %.2f of the bound", worst);
    }

    private static String swiglu() throws Exception {
        Random rnd = new Random(14);
        int width = 1001;
        float[] gate = Agreement.random(rnd, 3 * width, 4);
        float[] up = Agreement.random(rnd, 3 * width, 2);
        gate[0] = -60;
        gate[1] = 60;
        float[] expected = gate.clone();
        REF.swiglu(expected, up, 2 * width);
        int[] meta = Meta.rows(2);
        try (OnDevice graph = new OnDevice(new Object[] {gate, up, meta}, new Object[] {gate}, t -> t.swiglu("swiglu", gate, up, meta, width), null)) {
            graph.run();
        }
        return String.format("2 rows of %d, third row untouched; worst error %.2f of the bound", width,
                Agreement.close(gate, expected, 1e-6, 1e-6, "swiglu"));
    }

    private static String storeKv() throws Exception {
        Random rnd = new Random(6);
        int dim = 5;
        int k = 3;
        float[] qkv = Agreement.random(rnd, k * 3 * dim, 1);
        int base = 2 * dim;
        float[] keys = new float[base + 10 * dim];
        float[] values = new float[base + 10 * dim];
        float[] expectedKeys = keys.clone();
        float[] expectedValues = values.clone();
        for (int t = 0; t < k; t++) {
            System.arraycopy(qkv, t * 3 * dim + dim, expectedKeys, base + (4 + t) * dim, dim);
            System.arraycopy(qkv, t * 3 * dim + 2 * dim, expectedValues, base + (4 + t) * dim, dim);
        }
        int[] meta = Meta.pass(k, 4, 0, base);
        try (OnDevice graph = new OnDevice(new Object[] {qkv, meta, keys, values}, new Object[] {keys, values},
                t -> t.storeKv("store", qkv, keys, values, meta, dim, dim), null)) {
            graph.run();
        }
        for (int t = 0; t < k; t++) {
            int at = base + (4 + t) * dim;
            Agreement.exact(Arrays.copyOfRange(keys, at, at + dim), Arrays.copyOfRange(expectedKeys, at, at + dim), "keys");
            Agreement.exact(Arrays.copyOfRange(values, at, at + dim), Arrays.copyOfRange(expectedValues, at, at + dim), "values");
        }
        return null;
    }

    private static String rope() throws Exception {
        Random rnd = new Random(7);
        int headDim = 66;
        int heads = 3;
        int dim = heads * headDim;
        int k = 7;
        float[][] tables = Agreement.ropeTables(50, headDim);
        float[] qkv = Agreement.random(rnd, k * 3 * dim, 1);
        float[] q = new float[k * dim];
        float[] key = new float[k * dim];
        for (int t = 0; t < k; t++) {
            System.arraycopy(qkv, t * 3 * dim, q, t * dim, dim);
            System.arraycopy(qkv, t * 3 * dim + dim, key, t * dim, dim);
        }
        REF.rope(q, k, heads, headDim, 20, tables[0], tables[1]);
        REF.rope(key, k, heads, headDim, 20, tables[0], tables[1]);
        int[] meta = Meta.pass(k, 20, 0, 0);
        try (OnDevice graph = new OnDevice(new Object[] {qkv, meta, tables[0], tables[1]}, new Object[] {qkv}, t -> {
            t.rope("ropeQ", qkv, 0, 3 * dim, meta, tables[0], tables[1], heads, headDim);
            t.rope("ropeK", qkv, dim, 3 * dim, meta, tables[0], tables[1], heads, headDim);
        }, null)) {
            graph.run();
        }
        double worst = 0;
        for (int t = 0; t < k; t++) {
            worst = Math.max(worst, Agreement.close(Arrays.copyOfRange(qkv, t * 3 * dim, t * 3 * dim + dim),
                    Arrays.copyOfRange(q, t * dim, (t + 1) * dim), 2e-6, 1e-6, "rope q"));
            worst = Math.max(worst, Agreement.close(Arrays.copyOfRange(qkv, t * 3 * dim + dim, t * 3 * dim + 2 * dim),
                    Arrays.copyOfRange(key, t * dim, (t + 1) * dim), 2e-6, 1e-6, "rope k"));
        }
        return String.format("worst error %.2f of the bound", worst);
    }

    private static String unmask() throws Exception {
        Random rnd = new Random(11);
        int vocab = 301;
        int mask = vocab - 1;
        int rows = 9;
        int changedPositions = 0;
        for (double temperature : new double[] {0, 1}) {
            for (int trial = 0; trial < 3; trial++) {
                float[] logits = Agreement.random(rnd, rows * vocab, 3);
                float[][] rowsOf = new float[rows][];
                for (int j = 0; j < rows; j++) rowsOf[j] = Arrays.copyOfRange(logits, j * vocab, (j + 1) * vocab);
                int[] tokens = new int[rows];
                for (int j = 0; j < rows; j++) tokens[j] = j % 3 == 0 ? rnd.nextInt(mask) : mask;
                double[] step = {rnd.nextDouble(), temperature};
                double[] stay = new double[rows];
                double[] draw = new double[rows];
                for (int j = 0; j < rows; j++) {
                    stay[j] = rnd.nextDouble();
                    draw[j] = rnd.nextDouble();
                }
                int[] expected = SamplerRule.step(rowsOf, tokens, mask, step[0], stay, draw, new SamplingConfig(temperature, 0, 1, 0));
                int[] actual = tokens.clone();
                int[] changed = new int[rows];
                try (OnDevice graph = new OnDevice(new Object[] {logits, actual, step, stay, draw}, new Object[] {actual, changed}, null,
                        g -> g.task("unmask", DenoiseKernels::unmask, logits, actual, step, stay, draw, changed, rows, vocab, mask))) {
                    graph.run();
                }
                Agreement.exact(actual, expected, "tokens at temperature " + temperature);
                for (int j = 0; j < rows; j++) {
                    if (changed[j] != (expected[j] != tokens[j] ? 1 : 0)) {
                        throw new AssertionError("changed flag of position " + j + ": " + Arrays.toString(changed) + " for "
                                + Arrays.toString(tokens) + " -> " + Arrays.toString(actual));
                    }
                    changedPositions += changed[j];
                }
            }
        }
        return changedPositions + " positions unmasked over 6 steps, all as the sampler's rule";
    }

    private static String unmaskGreedy() throws Exception {
        Random rnd = new Random(13);
        int positions = 0;
        for (int vocab : new int[] {257, 50258}) {
            int mask = vocab - 1;
            int rows = 5;
            for (int trial = 0; trial < 2; trial++) {
                float[] logits = Agreement.random(rnd, rows * vocab, 3);
                for (int k = 0; k < 4; k++) logits[rnd.nextInt(rows) * vocab + rnd.nextInt(vocab)] = 100f; // ties across chunks
                float[][] rowsOf = new float[rows][];
                for (int j = 0; j < rows; j++) rowsOf[j] = Arrays.copyOfRange(logits, j * vocab, (j + 1) * vocab);
                int[] tokens = new int[rows];
                for (int j = 0; j < rows; j++) tokens[j] = j % 3 == 0 ? rnd.nextInt(mask) : mask;
                double[] step = {rnd.nextDouble() * 0.5, 0};
                double[] stay = new double[rows];
                for (int j = 0; j < rows; j++) stay[j] = rnd.nextDouble();
                int[] expected = SamplerRule.step(rowsOf, tokens, mask, step[0], stay, new double[rows], SamplingConfig.greedy());
                int[] actual = tokens.clone();
                int[] partial = new int[rows * DenoiseKernels.chunks(vocab)];
                int[] changed = new int[rows];
                try (OnDevice graph = new OnDevice(new Object[] {logits, actual, step, stay, partial}, new Object[] {actual, changed},
                        t -> t.unmaskGreedy("argmax", "unmask", logits, partial, actual, step, stay, changed, rows, vocab, mask), null)) {
                    graph.run();
                }
                Agreement.exact(actual, expected, "greedy tokens, vocabulary " + vocab);
                for (int j = 0; j < rows; j++) {
                    if (changed[j] != (expected[j] != tokens[j] ? 1 : 0)) throw new AssertionError("changed flag of position " + j);
                    positions += changed[j];
                }
            }
        }
        return positions + " positions unmasked (vocabularies of 257 and 50,258), all as the sampler's rule";
    }
}
