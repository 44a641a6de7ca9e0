package dev.specdiff4j.tornado.device;

import dev.specdiff4j.tornado.ArrayMatrix;
import dev.specdiff4j.tornado.DenoiseKernels;
import dev.specdiff4j.tornado.Meta;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transformer's forward pass as one TaskGraph on one device. The weights go over once (FIRST_EXECUTION); the
 * activations and the key/value caches are device buffers that no pass copies back; every pass sends only its
 * token ids and two small meta arrays, and brings back only the logits rows asked for. Row counts and positions
 * live in the meta arrays and grid sizes, so each kernel is compiled once for every pass size.
 *
 * <p>A pass is: the body over up to {@link #maxRows()} tokens at positions start.. (their keys and values written
 * into the cache slot), then the head (final norm and output layer) over up to {@link #maxLogitRows()} rows of the
 * body's output. A body of zero rows runs the head alone on the previous pass's rows. The caches hold
 * {@code slots} independent sequences. Calls are serialised.
 *
 * <p>A denoiser (a bidirectional spec) also has the MDLM unmasking step after the head: over the logits rows, still on
 * the device, it turns the masked positions of a block into tokens, and then only the block's tokens come back. A plain
 * pass gives it a block without MASK, so it changes nothing.
 */
final class DeviceTransformer implements AutoCloseable {
    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private final TransformerSpec spec;
    private final int maxRows;
    private final int maxLogitRows;
    private final int cacheRows;
    private final int slots;
    private final boolean[] slotTaken;
    private final int[] tokens;
    private final int[] meta = Meta.rows(0);
    private final int[] headMeta = Meta.rows(0);
    private final float[] logits;
    private final boolean unmasking;
    private final int[] block;
    private final double[] unmaskStep = new double[2];
    private final double[] stay;
    private final KernelTasks tasks;
    private final TornadoExecutionPlan plan;
    private boolean closed;

    DeviceTransformer(TransformerSpec spec, TornadoDevice device, int maxRows, int maxLogitRows, int cacheRows, int slots) {
        this.spec = spec;
        this.maxRows = maxRows;
        this.maxLogitRows = maxLogitRows;
        this.cacheRows = cacheRows;
        this.slots = slots;
        this.slotTaken = new boolean[slots];
        this.tokens = new int[maxRows];
        this.logits = new float[maxLogitRows * spec.vocab()];
        this.unmasking = !spec.causal();
        this.block = new int[maxLogitRows];
        this.stay = new double[maxLogitRows];
        TaskGraph graph = new TaskGraph(spec.name() + GRAPHS.incrementAndGet());
        this.tasks = new KernelTasks(graph);
        build(graph);
        this.plan = new TornadoExecutionPlan(graph.snapshot()).withDevice(device).withGridScheduler(tasks.grids());
    }

    /** Transfers first, then the tasks in pass order, then the logits (copied back only when asked for). */
    private void build(TaskGraph graph) {
        int d = spec.dim();
        int heads = spec.heads();
        int kvHeads = spec.kvHeads();
        int hd = spec.headDim();
        int qDim = spec.qDim();
        int kvDim = spec.kvDim();
        int width = spec.qkvWidth();
        float eps = spec.eps();
        float[] x = new float[maxRows * d];
        float[] h = new float[maxRows * d];
        float[] qkv = new float[maxRows * width];
        float[] attn = new float[maxRows * qDim];
        float[] proj = new float[maxRows * d];
        float[] ffn = new float[maxRows * spec.ffn()];
        float[] gated = new float[spec.swiglu() ? maxRows * spec.ffn() : 1];
        float[] noGateBias = new float[spec.ffn()]; // the SwiGLU gate has no bias
        float[] headIn = new float[maxLogitRows * d];
        int[] positionIds = new int[maxRows];
        float[] positions = new float[maxRows * d];
        float[] ones = new float[d];
        Arrays.fill(ones, 1f);
        List<float[]> caches = new ArrayList<>();
        for (int l = 0; l < 2 * spec.layers().size(); l++) caches.add(new float[slots * cacheRows * kvDim]);

        Set<Object> weights = Collections.newSetFromMap(new IdentityHashMap<>());
        addMatrix(weights, spec.tokenEmbedding());
        if (spec.positionTable() != null) Collections.addAll(weights, spec.positionTable(), ones);
        if (spec.ropeCos() != null) Collections.addAll(weights, spec.ropeCos(), spec.ropeSin());
        for (TransformerSpec.Layer layer : spec.layers()) {
            Collections.addAll(weights, layer.norm1Weight(), layer.norm1Bias(), layer.qkvBias(), layer.outBias(), layer.gate1(),
                    layer.norm2Weight(), layer.norm2Bias(), layer.fc1Bias(), layer.fc2Bias(), layer.gate2());
            if (layer.qNorm() != null) Collections.addAll(weights, layer.qNorm(), layer.kNorm());
            for (ArrayMatrix m : List.of(layer.qkv(), layer.out(), layer.fc1(), layer.fc2())) addMatrix(weights, m);
            if (layer.gate() != null) {
                addMatrix(weights, layer.gate());
                weights.add(noGateBias);
            }
        }
        Collections.addAll(weights, spec.finalNormWeight(), spec.finalNormBias(), spec.headBias());
        addMatrix(weights, spec.head());
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weights.toArray());
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, caches.toArray());
        // TornadoVM wants every buffer declared; the activations go over once (zeros) and then live on the device
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, x, h, qkv, attn, proj, ffn, gated, headIn, positionIds, positions);
        graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, meta, headMeta);

        tasks.embedding("embed", spec.tokenEmbedding(), tokens, x, meta);
        if (spec.positionTable() != null) {
            tasks.positions("positions", meta, positionIds, spec.positions());
            tasks.embeddingF32("embedPositions", spec.positionTable(), positionIds, positions, meta, d);
            tasks.residualAdd("addPositions", x, positions, ones, meta, d);
        }
        for (int l = 0; l < spec.layers().size(); l++) {
            TransformerSpec.Layer layer = spec.layers().get(l);
            String p = "l" + l + ".";
            float[] keys = caches.get(2 * l);
            float[] values = caches.get(2 * l + 1);
            norm(p + "norm1", x, layer.norm1Weight(), layer.norm1Bias(), h, meta, d, eps);
            tasks.matmul(p + "qkv", h, layer.qkv(), layer.qkvBias(), qkv, meta);
            if (layer.qNorm() != null) {
                tasks.rmsNormHeads(p + "qNorm", qkv, 0, width, layer.qNorm(), meta, heads, hd, eps);
                tasks.rmsNormHeads(p + "kNorm", qkv, qDim, width, layer.kNorm(), meta, kvHeads, hd, eps);
            }
            if (spec.ropeCos() != null) {
                tasks.rope(p + "ropeQ", qkv, 0, width, meta, spec.ropeCos(), spec.ropeSin(), heads, hd);
                tasks.rope(p + "ropeK", qkv, qDim, width, meta, spec.ropeCos(), spec.ropeSin(), kvHeads, hd);
            }
            tasks.storeKv(p + "store", qkv, keys, values, meta, qDim, kvDim);
            tasks.attention(p + "attention", qkv, width, keys, values, attn, meta, heads, kvHeads, hd, spec.causal());
            tasks.matmul(p + "out", attn, layer.out(), layer.outBias(), proj, meta);
            tasks.residualAdd(p + "residual1", x, proj, layer.gate1(), meta, d);
            norm(p + "norm2", x, layer.norm2Weight(), layer.norm2Bias(), h, meta, d, eps);
            if (layer.gate() != null) {
                tasks.matmul(p + "gate", h, layer.gate(), noGateBias, gated, meta);
                tasks.matmul(p + "up", h, layer.fc1(), layer.fc1Bias(), ffn, meta);
                tasks.swiglu(p + "swiglu", gated, ffn, meta, spec.ffn());
                tasks.matmul(p + "down", gated, layer.fc2(), layer.fc2Bias(), proj, meta);
            } else {
                tasks.matmul(p + "fc1", h, layer.fc1(), layer.fc1Bias(), ffn, meta);
                tasks.gelu(p + "gelu", ffn, meta, spec.ffn());
                tasks.matmul(p + "fc2", ffn, layer.fc2(), layer.fc2Bias(), proj, meta);
            }
            tasks.residualAdd(p + "residual2", x, proj, layer.gate2(), meta, d);
        }
        tasks.copyRows("headRows", x, headIn, headMeta, d);
        norm("finalNorm", headIn, spec.finalNormWeight(), spec.finalNormBias(), headIn, headMeta, d, eps);
        tasks.matmul("head", headIn, spec.head(), spec.headBias(), logits, headMeta);
        graph.transferToHost(DataTransferMode.UNDER_DEMAND, logits);
        if (unmasking) {
            int[] partial = new int[maxLogitRows * DenoiseKernels.chunks(spec.vocab())];
            int[] changed = new int[maxLogitRows]; // stays on the device: the sampler counts the changes itself
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, changed, partial);
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, block, unmaskStep, stay);
            tasks.unmaskGreedy("argmax", "unmask", logits, partial, block, unmaskStep, stay, changed, maxLogitRows, spec.vocab(), maskId());
            graph.transferToHost(DataTransferMode.UNDER_DEMAND, block);
        }
    }

    /** The spec's norm: RMSNorm (its bias, zeros, unused) or LayerNorm. */
    private void norm(String task, float[] x, float[] weight, float[] bias, float[] out, int[] meta, int dim, float eps) {
        if (spec.rmsNorm()) tasks.rmsNorm(task, x, weight, out, meta, dim, eps);
        else tasks.layerNorm(task, x, weight, bias, out, meta, dim, eps);
    }

    /** MASK, the denoiser's last token. */
    private int maskId() {
        return spec.vocab() - 1;
    }

    private static void addMatrix(Set<Object> weights, ArrayMatrix m) {
        if (m.floats() != null) weights.add(m.floats());
        if (m.words() != null) weights.add(m.words());
        if (m.table() != null) weights.add(m.table());
    }

    TransformerSpec spec() {
        return spec;
    }

    int maxRows() {
        return maxRows;
    }

    int maxLogitRows() {
        return maxLogitRows;
    }

    /** A free cache slot, or -1. */
    synchronized int takeSlot() {
        for (int s = 0; s < slots; s++) {
            if (!slotTaken[s]) {
                slotTaken[s] = true;
                return s;
            }
        }
        return -1;
    }

    synchronized void releaseSlot(int slot) {
        slotTaken[slot] = false;
    }

    int slots() {
        return slots;
    }

    /**
     * One pass: the body over {@code ids} (at most {@link #maxRows()}, possibly none) at positions start.., attending
     * to kvLength keys when bidirectional, in the cache slot; then the head over {@code logitRows} (at most
     * {@link #maxLogitRows()}) rows of the body output starting at row0. Returns logitRows × vocab logits.
     */
    synchronized float[] pass(int[] ids, int start, int kvLength, int slot, int row0, int logitRows) {
        Arrays.fill(block, maskId() == 0 ? 1 : 0); // no MASK in the block: the unmasking step, if any, leaves it alone
        TornadoExecutionResult result = execute(ids, start, kvLength, slot, row0, logitRows);
        if (logitRows == 0) return new float[0];
        result.transferToHost(logits);
        return Arrays.copyOf(logits, logitRows * spec.vocab());
    }

    /**
     * A pass as {@link #pass} whose logits rows are a block, followed on the device by one greedy unmasking step
     * (DenoiseKernels#argmaxChunks, DenoiseKernels#unmaskGreedy): a block position that is MASK with
     * {@code stay[j] >= stayProbability} takes the argmax of its row. Returns the block's new tokens; the logits stay on
     * the device.
     */
    synchronized int[] passAndUnmask(int[] ids, int start, int kvLength, int slot, int row0, int[] blockTokens, double stayProbability,
                                     double[] blockStay) {
        if (!unmasking) throw new IllegalStateException("a causal model has no unmasking step");
        int n = blockTokens.length;
        if (n > maxLogitRows || blockStay.length < n) throw new IllegalArgumentException("a block of " + n + " does not fit the device's " + maxLogitRows + " rows");
        Arrays.fill(block, maskId() == 0 ? 1 : 0);
        System.arraycopy(blockTokens, 0, block, 0, n);
        System.arraycopy(blockStay, 0, stay, 0, n);
        unmaskStep[DenoiseKernels.STAY] = stayProbability;
        TornadoExecutionResult result = execute(ids, start, kvLength, slot, row0, n);
        result.transferToHost(block);
        return Arrays.copyOf(block, n);
    }

    private TornadoExecutionResult execute(int[] ids, int start, int kvLength, int slot, int row0, int logitRows) {
        if (closed) throw new IllegalStateException("the device model was closed");
        if (ids.length > maxRows || logitRows > maxLogitRows || start + ids.length > cacheRows || slot < 0 || slot >= slots) {
            throw new IllegalArgumentException("pass outside the device buffers");
        }
        System.arraycopy(ids, 0, tokens, 0, ids.length);
        meta[Meta.ROWS] = ids.length;
        meta[Meta.START] = start;
        meta[Meta.KV_LENGTH] = kvLength;
        meta[Meta.KV_BASE] = slot * cacheRows * spec.kvDim();
        headMeta[Meta.ROWS] = logitRows;
        headMeta[Meta.ROW0] = row0;
        tasks.resize();
        return plan.execute();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        plan.freeDeviceMemory();
        try {
            plan.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the TornadoVM execution plan failed: " + e.getMessage(), e);
        }
    }
}
