package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.CausalSession;
import dev.specdiff4j.engine.model.LoadedModel;
import dev.specdiff4j.engine.model.ModelFiles;

import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * The decoder-only transformer written once, configured by a {@link TransformerSpec}: pre-norm blocks (LayerNorm or
 * RMSNorm), attention with grouped key/value heads (GQA/MQA), optional q/k/v biases and per-head QK-norm, RoPE or learned
 * positions, a GELU or SwiGLU MLP, a tied or separate LM head. Every operation is a {@link Kernels} call (matmul over any
 * weight dtype), and all of them work row by row, so a token's logits do not depend on the batch it was computed in.
 *
 * <p>Grouped attention without copying the cache: query heads {@code g·r + j} (r = heads / kvHeads) all read key/value
 * head g, so for each j the queries {@code g·r + j} of every g are gathered into a kvHeads-wide row and attended against
 * the unexpanded cache with the ordinary attention kernel.
 */
public final class Transformer implements LoadedModel {
    private final TransformerSpec spec;
    private final TransformerWeights weights;
    private final Kernels kernels;
    private final RopeTables rope;
    private final ModelFiles files;
    private final Arena arena;
    private final String dtypeDescription;

    /**
     * A model over loaded weights; {@code files} and {@code arena} (either may be null) are closed with it.
     */
    public Transformer(TransformerSpec spec, TransformerWeights weights, Kernels kernels, ModelFiles files, Arena arena) {
        if (kernels == null) throw new IllegalArgumentException("kernels are required");
        if (weights.blocks().size() != spec.layers()) {
            throw new IllegalArgumentException("the spec has " + spec.layers() + " layers, the weights " + weights.blocks().size());
        }
        this.spec = spec;
        this.weights = weights;
        this.kernels = kernels;
        this.rope = spec.rope() == null ? null : new RopeTables(spec.rope(), spec.contextLength());
        this.files = files;
        this.arena = arena;
        this.dtypeDescription = weights.blocks().isEmpty() ? weights.tokenEmbedding().dtype().displayName()
                : weights.blocks().get(0).wq().dtype().displayName();
    }

    public TransformerSpec spec() {
        return spec;
    }

    public TransformerWeights weights() {
        return weights;
    }

    public Kernels kernels() {
        return kernels;
    }

    /** The files the weights came from, or null. */
    @Override
    public ModelFiles files() {
        return files;
    }

    @Override
    public int eosTokenId() {
        return spec.eosTokenId();
    }

    @Override
    public int vocabSize() {
        return spec.vocabSize();
    }

    @Override
    public int contextLength() {
        return spec.contextLength();
    }

    @Override
    public String describe() {
        String attention = spec.kvHeads() == spec.heads() ? spec.heads() + " heads" : spec.heads() + "/" + spec.kvHeads() + " heads (GQA)";
        return String.format("%s %d layers x %d, %s (%.1f M parameters, %s weights, context %d) on %s", spec.family(), spec.layers(),
                spec.dim(), attention, spec.parameters() / 1e6, dtypeDescription, spec.contextLength(), kernels.describe());
    }

    @Override
    public Session newSession() {
        return new TransformerSession();
    }

    /** Keys and values of every layer, kvHeads wide, float32 (what the scheduler's KV budget counts). */
    @Override
    public long kvBytesPerPosition() {
        return 2L * spec.layers() * spec.kvHeads() * spec.headDim() * Float.BYTES;
    }

    @Override
    public void close() {
        if (files != null) files.close();
        if (arena != null) arena.close();
    }

    /** A sequence's KV cache (kvHeads wide, RoPE applied to keys) and scratch buffers. One session per generation. */
    private final class TransformerSession extends CausalSession {
        private final int d = spec.dim();
        private final int kvDim = spec.kvDim();
        private final float[][] keys = new float[spec.layers()][];
        private final float[][] values = new float[spec.layers()][];
        private int capacity;
        private final TransformerBuffers buffers = new TransformerBuffers(spec);

        TransformerSession() {
            super(spec.contextLength(), spec.vocabSize());
            ensureCapacity(Math.min(spec.contextLength(), 64));
        }

        private void ensureCapacity(int positions) {
            if (positions <= capacity) return;
            int grown = Math.min(spec.contextLength(), Math.max(positions, capacity * 2));
            for (int l = 0; l < spec.layers(); l++) {
                keys[l] = keys[l] == null ? new float[grown * kvDim] : Arrays.copyOf(keys[l], grown * kvDim);
                values[l] = values[l] == null ? new float[grown * kvDim] : Arrays.copyOf(values[l], grown * kvDim);
            }
            capacity = grown;
        }

        @Override
        protected float[][] compute(int[] tokens, int logitRows, int start) {
            int[] positions = new int[tokens.length];
            for (int t = 0; t < positions.length; t++) positions[t] = start + t;
            pass(tokens, start, positions, null);
            if (logitRows == 0) return new float[0][];
            int[] which = new int[logitRows];
            for (int r = 0; r < logitRows; r++) which[r] = tokens.length - logitRows + r;
            return logits(buffers.x, which);
        }

        /**
         * One pass over {@code tokens} stored at cache rows start..; {@code tree} null: causal and positions consecutive,
         * else each row's visible tree rows. Leaves the residual stream (before the final norm) in {@code buffers.x}.
         */
        private void pass(int[] tokens, int start, int[] positions, int[][] tree) {
            int k = tokens.length;
            ensureCapacity(start + k);
            buffers.ensure(k);
            TransformerBuffers b = buffers;
            kernels.embedding(weights.tokenEmbedding(), tokens, b.x);
            if (weights.positionEmbedding() != null) {
                kernels.embedding(weights.positionEmbedding(), positions, b.h);
                kernels.residualAdd(b.x, b.h, null, k, d);
            }
            for (int l = 0; l < spec.layers(); l++) {
                TransformerWeights.Block block = weights.blocks().get(l);
                norm(b.x, k, block.attentionNorm(), block.attentionNormBias(), b.h);
                kernels.matmul(b.h, k, block.wq(), block.qBias(), b.q);
                kernels.matmul(b.h, k, block.wk(), block.kBias(), b.k);
                kernels.matmul(b.h, k, block.wv(), block.vBias(), b.v);
                if (block.qNorm() != null) {
                    kernels.rmsNorm(b.q, k * spec.heads(), spec.headDim(), block.qNorm(), spec.normEps(), b.q);
                    kernels.rmsNorm(b.k, k * spec.kvHeads(), spec.headDim(), block.kNorm(), spec.normEps(), b.k);
                }
                if (rope != null) {
                    rotate(b.q, k, spec.heads(), positions, tree != null);
                    rotate(b.k, k, spec.kvHeads(), positions, tree != null);
                }
                System.arraycopy(b.k, 0, keys[l], start * kvDim, k * kvDim);
                System.arraycopy(b.v, 0, values[l], start * kvDim, k * kvDim);
                attend(k, keys[l], values[l], start, tree);
                kernels.matmul(b.attn, k, block.wo(), block.oBias(), b.out);
                kernels.residualAdd(b.x, b.out, null, k, d);
                norm(b.x, k, block.mlpNorm(), block.mlpNormBias(), b.h);
                int f = spec.ffnDim();
                kernels.matmul(b.h, k, block.up(), block.upBias(), b.up);
                if (block.gate() != null) {
                    kernels.matmul(b.h, k, block.gate(), null, b.gate);
                    kernels.swiglu(b.gate, b.up, k * f);
                    kernels.matmul(b.gate, k, block.down(), block.downBias(), b.out);
                } else {
                    kernels.geluTanh(b.up, k * f);
                    kernels.matmul(b.up, k, block.down(), block.downBias(), b.out);
                }
                kernels.residualAdd(b.x, b.out, null, k, d);
            }
        }

        private void norm(float[] x, int k, float[] weight, float[] bias, float[] out) {
            if (spec.norm() == TransformerSpec.Norm.RMS_NORM) kernels.rmsNorm(x, k, d, weight, spec.normEps(), out);
            else kernels.layerNorm(x, k, d, weight, bias, spec.normEps(), out);
        }

        /** RoPE on k rows of {@code heads} heads; rows of a tree sit at their own positions, so they are rotated one by one. */
        private void rotate(float[] x, int k, int heads, int[] positions, boolean rowByRow) {
            int width = heads * spec.headDim();
            int maxPosition = 0;
            for (int r = 0; r < k; r++) maxPosition = Math.max(maxPosition, positions[r]);
            RopeTables.Tables t = rope.covering(maxPosition + 1);
            if (!rowByRow) {
                kernels.rope(x, k, heads, spec.headDim(), positions[0], t.cos(), t.sin());
                return;
            }
            float[] row = buffers.row(width);
            for (int r = 0; r < k; r++) {
                System.arraycopy(x, r * width, row, 0, width);
                kernels.rope(row, 1, heads, spec.headDim(), positions[r], t.cos(), t.sin());
                System.arraycopy(row, 0, x, r * width, width);
            }
        }

        /** Attention of the k query rows in {@code buffers.q} over the cache, into {@code buffers.attn}, one query group at a time. */
        private void attend(int k, float[] layerKeys, float[] layerValues, int start, int[][] tree) {
            TransformerBuffers b = buffers;
            int hd = spec.headDim();
            int group = spec.heads() / spec.kvHeads();
            if (group == 1) {
                if (tree == null) kernels.attention(b.q, k, layerKeys, layerValues, start + k, start, true, spec.heads(), hd, b.attn);
                else kernels.treeAttention(b.q, k, layerKeys, layerValues, start, tree, spec.heads(), hd, b.attn);
                return;
            }
            int qDim = spec.qDim();
            for (int j = 0; j < group; j++) {
                for (int t = 0; t < k; t++) {
                    for (int g = 0; g < spec.kvHeads(); g++) {
                        System.arraycopy(b.q, t * qDim + (g * group + j) * hd, b.groupQ, (t * spec.kvHeads() + g) * hd, hd);
                    }
                }
                if (tree == null) kernels.attention(b.groupQ, k, layerKeys, layerValues, start + k, start, true, spec.kvHeads(), hd, b.groupOut);
                else kernels.treeAttention(b.groupQ, k, layerKeys, layerValues, start, tree, spec.kvHeads(), hd, b.groupOut);
                for (int t = 0; t < k; t++) {
                    for (int g = 0; g < spec.kvHeads(); g++) {
                        System.arraycopy(b.groupOut, (t * spec.kvHeads() + g) * hd, b.attn, t * qDim + (g * group + j) * hd, hd);
                    }
                }
            }
        }

        @Override
        public boolean supportsTrees() {
            return true;
        }

        @Override
        protected TreeLogits computeTree(int[] tokens, int[] parents, int[] depths, int[][] visible, int start) {
            int k = tokens.length;
            int[] positions = new int[k];
            for (int i = 0; i < k; i++) positions[i] = start + depths[i];
            pass(tokens, start, positions, visible);
            float[] hidden = Arrays.copyOf(buffers.x, k * d);
            float[][] rows = new float[k][];
            return node -> {
                if (rows[node] == null) rows[node] = logits(hidden, new int[] {node})[0];
                return rows[node];
            };
        }

        @Override
        protected void moveRow(int from, int to) {
            for (int l = 0; l < spec.layers(); l++) {
                System.arraycopy(keys[l], from * kvDim, keys[l], to * kvDim, kvDim);
                System.arraycopy(values[l], from * kvDim, values[l], to * kvDim, kvDim);
            }
        }

        /** Final norm and LM head over the given rows of a residual stream (per-row work: the same bits in any batch). */
        private float[][] logits(float[] hidden, int[] which) {
            int n = which.length;
            float[] last = buffers.last(n * d);
            for (int i = 0; i < n; i++) System.arraycopy(hidden, which[i] * d, last, i * d, d);
            norm(last, n, weights.finalNorm(), weights.finalNormBias(), last);
            int vocab = spec.vocabSize();
            float[] logits = buffers.logits(n * vocab);
            kernels.matmul(last, n, weights.lmHead(), null, logits);
            float[][] rows = new float[n][];
            for (int r = 0; r < n; r++) rows[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            return rows;
        }

        @Override
        protected void release() {
            Arrays.fill(keys, null);
            Arrays.fill(values, null);
        }
    }
}
