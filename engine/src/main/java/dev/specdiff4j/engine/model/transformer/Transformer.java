package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.CausalSession;
import dev.specdiff4j.engine.model.KvPages;
import dev.specdiff4j.engine.model.LoadedModel;
import dev.specdiff4j.engine.model.ModelFiles;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

/**
 * The transformer written once, configured by a {@link TransformerSpec}: pre-norm blocks (LayerNorm or RMSNorm), attention
 * with grouped key/value heads (GQA/MQA), optional q/k/v biases and per-head QK-norm, RoPE or learned positions, optional
 * per-feature residual gates, a GELU or SwiGLU MLP, a tied or separate LM head with an optional bias. Every operation is a
 * {@link Kernels} call (matmul over any weight dtype), and all of them work row by row, so a token's logits do not depend
 * on the batch it was computed in. A causal spec runs in sessions ({@link #newSession}, {@link #newBatchPass}); a
 * bidirectional one in a {@link BidirectionalCache}.
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
        requireCausal();
        return new TransformerSession(Math.min(spec.contextLength(), 64), null);
    }

    @Override
    public Session newSession(int positions) {
        requireCausal();
        if (positions < 1) throw new IllegalArgumentException("a session needs room for at least one position, got " + positions);
        return new TransformerSession(Math.min(spec.contextLength(), positions), null);
    }

    /** A session whose keys and values live in {@code pages} (layout: {@link #kvPageFloats}); it gives them back when closed. */
    @Override
    public Session newSession(int positions, KvPages pages) {
        requireCausal();
        int rows = pages.pool().pageRows();
        if (pages.pool().pageFloats() != kvPageFloats(rows)) {
            throw new IllegalArgumentException("KV pages of " + pages.pool().pageFloats() + " floats do not fit this model");
        }
        return new TransformerSession(Math.min(spec.contextLength(), positions), pages);
    }

    /**
     * A page holds, for each layer l in turn, the keys of its positions (pageRows × kvDim) and then their values:
     * 2 · layers · pageRows · kvDim floats.
     */
    @Override
    public int kvPageFloats(int pageRows) {
        return Math.toIntExact(2L * spec.layers() * pageRows * spec.kvDim());
    }

    /** Keys and values of every layer, kvHeads wide, float32 (what the scheduler's KV budget counts). */
    @Override
    public long kvBytesPerPosition() {
        return 2L * spec.layers() * spec.kvHeads() * spec.headDim() * Float.BYTES;
    }

    @Override
    public BatchPass newBatchPass() {
        requireCausal();
        return new TransformerBatch();
    }

    /**
     * Keys and values of every position of a sequence of {@code length} positions for a bidirectional model: full passes
     * and block refreshes ({@link BidirectionalCache}).
     */
    public BidirectionalCache newBidirectionalCache(int length) {
        if (spec.attention() != TransformerSpec.Attention.BIDIRECTIONAL) {
            throw new IllegalStateException("this " + spec.family() + " model attends causally: it runs in sessions, not in a bidirectional cache");
        }
        if (length < 1 || length > spec.contextLength()) {
            throw new IllegalArgumentException("a sequence of " + length + " positions does not fit the " + spec.family()
                    + " model's context of " + spec.contextLength());
        }
        return new BidirectionalCache(this, length);
    }

    private void requireCausal() {
        if (spec.attention() != TransformerSpec.Attention.CAUSAL) {
            throw new IllegalStateException("this " + spec.family() + " model attends bidirectionally: it has no causal sessions; "
                    + "use newBidirectionalCache");
        }
    }

    @Override
    public void close() {
        if (files != null) files.close();
        if (arena != null) arena.close();
    }

    /** Writes the attention output of layer {@code layer} (k rows, into {@code b.attn}) from {@code b.q}, {@code b.k}, {@code b.v}, storing the keys and values. */
    @FunctionalInterface
    interface AttentionStep {
        void run(int layer, TransformerBuffers b, int k);
    }

    /** Sees the residual stream {@code x} (k rows) after block {@code layer}; null when nobody asks for hidden states. */
    @FunctionalInterface
    interface BlockObserver {
        void after(int layer, float[] x, int k);
    }

    /**
     * Every block over {@code k} rows at {@code positions}: embeddings, then per block norm, q/k/v projection (one fused
     * matmul when the block has one), QK-norm, RoPE, {@code attention} (which stores the fresh keys/values in the right
     * caches), output projection, MLP. Leaves the residual stream (before the final norm) in {@code b.x}. Every step but
     * attention is per row, so a row's result does not depend on the other rows of the pass.
     */
    void blocks(TransformerBuffers b, int[] tokens, int[] positions, BlockObserver afterBlock, AttentionStep attention) {
        int k = tokens.length;
        int d = spec.dim();
        b.ensure(k);
        kernels.embedding(weights.tokenEmbedding(), tokens, b.x);
        if (weights.positionEmbedding() != null) {
            kernels.embedding(weights.positionEmbedding(), positions, b.h);
            kernels.residualAdd(b.x, b.h, null, k, d);
        }
        for (int l = 0; l < spec.layers(); l++) {
            TransformerWeights.Block block = weights.blocks().get(l);
            norm(b.x, k, block.attentionNorm(), block.attentionNormBias(), b.h);
            if (block.wqkv() != null) {
                project(b, block, k);
            } else {
                kernels.matmul(b.h, k, block.wq(), block.qBias(), b.q);
                kernels.matmul(b.h, k, block.wk(), block.kBias(), b.k);
                kernels.matmul(b.h, k, block.wv(), block.vBias(), b.v);
            }
            if (block.qNorm() != null) {
                kernels.rmsNorm(b.q, k * spec.heads(), spec.headDim(), block.qNorm(), spec.normEps(), b.q);
                kernels.rmsNorm(b.k, k * spec.kvHeads(), spec.headDim(), block.kNorm(), spec.normEps(), b.k);
            }
            if (rope != null) {
                rotate(b, b.q, k, spec.heads(), positions);
                rotate(b, b.k, k, spec.kvHeads(), positions);
            }
            attention.run(l, b, k);
            kernels.matmul(b.attn, k, block.wo(), block.oBias(), b.out);
            kernels.residualAdd(b.x, b.out, block.attentionGate(), k, d);
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
            kernels.residualAdd(b.x, b.out, block.mlpGate(), k, d);
            if (afterBlock != null) afterBlock.after(l, b.x, k);
        }
    }

    /** The fused q|k|v projection of {@code b.h}: one matmul over the stacked matrix, its rows split into q, k and v. */
    private void project(TransformerBuffers b, TransformerWeights.Block block, int k) {
        int qDim = spec.qDim();
        int kvDim = spec.kvDim();
        int width = qDim + 2 * kvDim;
        float[] qkv = b.qkv(k * width);
        kernels.matmul(b.h, k, block.wqkv(), block.qkvBias(), qkv);
        for (int t = 0; t < k; t++) {
            System.arraycopy(qkv, t * width, b.q, t * qDim, qDim);
            System.arraycopy(qkv, t * width + qDim, b.k, t * kvDim, kvDim);
            System.arraycopy(qkv, t * width + qDim + kvDim, b.v, t * kvDim, kvDim);
        }
    }

    private void norm(float[] x, int k, float[] weight, float[] bias, float[] out) {
        if (spec.norm() == TransformerSpec.Norm.RMS_NORM) kernels.rmsNorm(x, k, spec.dim(), weight, spec.normEps(), out);
        else kernels.layerNorm(x, k, spec.dim(), weight, bias, spec.normEps(), out);
    }

    /**
     * RoPE on k rows of {@code heads} heads at {@code positions}: one kernel call per run of consecutive positions (the
     * whole pass of one sequence; a session's rows in a batch pass; a chain of a tree).
     */
    private void rotate(TransformerBuffers b, float[] x, int k, int heads, int[] positions) {
        int width = heads * spec.headDim();
        int maxPosition = 0;
        for (int r = 0; r < k; r++) maxPosition = Math.max(maxPosition, positions[r]);
        RopeTables.Tables t = rope.covering(maxPosition + 1);
        for (int r = 0; r < k; ) {
            int end = r + 1;
            while (end < k && positions[end] == positions[end - 1] + 1) end++;
            if (r == 0 && end == k) {
                kernels.rope(x, k, heads, spec.headDim(), positions[0], t.cos(), t.sin());
                return;
            }
            int rows = end - r;
            float[] run = b.row(rows * width);
            System.arraycopy(x, r * width, run, 0, rows * width);
            kernels.rope(run, rows, heads, spec.headDim(), positions[r], t.cos(), t.sin());
            System.arraycopy(run, 0, x, r * width, rows * width);
            r = end;
        }
    }

    /** The attention kernel over one cache: {@code count} query rows of {@code heads} heads into {@code out}. */
    @FunctionalInterface
    interface CacheAttention {
        void run(float[] q, int count, int heads, float[] out);
    }

    /** {@code cache} run on all query heads at once, or on one query group at a time under GQA. */
    void attend(TransformerBuffers b, float[] q, int k, float[] out, CacheAttention cache) {
        int hd = spec.headDim();
        int group = spec.heads() / spec.kvHeads();
        if (group == 1) {
            cache.run(q, k, spec.heads(), out);
            return;
        }
        int qDim = spec.qDim();
        for (int j = 0; j < group; j++) {
            for (int t = 0; t < k; t++) {
                for (int g = 0; g < spec.kvHeads(); g++) {
                    System.arraycopy(q, t * qDim + (g * group + j) * hd, b.groupQ, (t * spec.kvHeads() + g) * hd, hd);
                }
            }
            cache.run(b.groupQ, k, spec.kvHeads(), b.groupOut);
            for (int t = 0; t < k; t++) {
                for (int g = 0; g < spec.kvHeads(); g++) {
                    System.arraycopy(b.groupOut, (t * spec.kvHeads() + g) * hd, out, t * qDim + (g * group + j) * hd, hd);
                }
            }
        }
    }

    /** Final norm and LM head over the given rows of a residual stream (per-row work: the same bits in any batch). */
    float[][] logits(TransformerBuffers b, float[] hidden, int[] which) {
        int n = which.length;
        int d = spec.dim();
        float[] last = b.last(n * d);
        for (int i = 0; i < n; i++) System.arraycopy(hidden, which[i] * d, last, i * d, d);
        norm(last, n, weights.finalNorm(), weights.finalNormBias(), last);
        int vocab = spec.vocabSize();
        float[] logits = b.logits(n * vocab);
        kernels.matmul(last, n, weights.lmHead(), weights.lmHeadBias(), logits);
        float[][] rows = new float[n][];
        for (int r = 0; r < n; r++) rows[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
        return rows;
    }

    /**
     * A sequence's KV cache (kvHeads wide, RoPE applied to keys) and scratch buffers. One session per generation. The cache is
     * one array per layer that grows by copying, or, for a batch scheduler's sequence, the pages of a {@link KvPages} table.
     */
    private final class TransformerSession extends CausalSession {
        private final int d = spec.dim();
        private final int kvDim = spec.kvDim();
        private final float[][] keys = new float[spec.layers()][];
        private final float[][] values = new float[spec.layers()][];
        private int capacity;
        private final KvPages paged; // null: the arrays above
        private final TransformerBuffers buffers = new TransformerBuffers(spec);
        /** For each block, its slot in a captured feature row, or −1; null when nothing is captured. */
        private int[] featureSlot;
        private int featureLayers;
        private float[] features = new float[0]; // (k, featureLayers · C) of the latest pass

        TransformerSession(int positions, KvPages paged) {
            super(spec.contextLength(), spec.vocabSize());
            this.paged = paged;
            if (paged == null) ensureCapacity(positions);
        }

        Transformer outer() {
            return Transformer.this;
        }

        /** The checks before a batch pass appends {@code tokens} to this session. */
        private void checkBatchRows(int[] tokens, int logitRows) {
            checkForward(tokens, logitRows);
        }

        /** Counts the tokens a batch pass appended. */
        private void appended(int k) {
            advance(k);
        }

        private void ensureCapacity(int positions) {
            if (paged != null) {
                paged.ensure(positions);
                return;
            }
            if (positions <= capacity) return;
            int grown = Math.min(spec.contextLength(), Math.max(positions, capacity * 2));
            for (int l = 0; l < spec.layers(); l++) {
                keys[l] = keys[l] == null ? new float[grown * kvDim] : Arrays.copyOf(keys[l], grown * kvDim);
                values[l] = values[l] == null ? new float[grown * kvDim] : Arrays.copyOf(values[l], grown * kvDim);
            }
            capacity = grown;
        }

        /** Stores the fresh keys/values of {@code count} pass rows from row {@code row} at cache rows start.. of layer l. */
        private void store(int l, TransformerBuffers b, int row, int count, int start) {
            if (paged != null) {
                storePaged(l, b, row, count, start);
                return;
            }
            System.arraycopy(b.k, row * kvDim, keys[l], start * kvDim, count * kvDim);
            System.arraycopy(b.v, row * kvDim, values[l], start * kvDim, count * kvDim);
        }

        private void storePaged(int l, TransformerBuffers b, int row, int count, int start) {
            int pageRows = paged.pool().pageRows();
            int keyBase = 2 * l * pageRows * kvDim;
            int valueBase = keyBase + pageRows * kvDim;
            for (int t = 0; t < count; ) {
                int position = start + t;
                float[] page = paged.pages()[position / pageRows];
                int offset = (position % pageRows) * kvDim;
                int run = Math.min(count - t, pageRows - position % pageRows); // rows that stay in this page
                System.arraycopy(b.k, (row + t) * kvDim, page, keyBase + offset, run * kvDim);
                System.arraycopy(b.v, (row + t) * kvDim, page, valueBase + offset, run * kvDim);
                t += run;
            }
        }

        /** Causal attention (tree null) or tree attention of k query rows at cache rows start.. over layer l's cache. */
        private void attendCache(TransformerBuffers b, float[] q, int k, int l, int start, int[][] tree, float[] out) {
            int hd = spec.headDim();
            if (paged == null) {
                attend(b, q, k, out, (rows, count, heads, result) -> {
                    if (tree == null) kernels.attention(rows, count, keys[l], values[l], start + count, start, true, heads, hd, result);
                    else kernels.treeAttention(rows, count, keys[l], values[l], start, tree, heads, hd, result);
                });
                return;
            }
            int pageRows = paged.pool().pageRows();
            int keyBase = 2 * l * pageRows * kvDim;
            int valueBase = keyBase + pageRows * kvDim;
            float[][] pages = paged.pages();
            attend(b, q, k, out, (rows, count, heads, result) ->
                    kernels.pagedAttention(rows, count, pages, keyBase, valueBase, pageRows, start, heads, hd, result));
        }

        @Override
        protected float[][] compute(int[] tokens, int logitRows, int start) {
            int[] positions = new int[tokens.length];
            for (int t = 0; t < positions.length; t++) positions[t] = start + t;
            pass(tokens, start, positions, null);
            if (logitRows == 0) return new float[0][];
            int[] which = new int[logitRows];
            for (int r = 0; r < logitRows; r++) which[r] = tokens.length - logitRows + r;
            return logits(buffers, buffers.x, which);
        }

        /**
         * One pass over {@code tokens} stored at cache rows start..; {@code tree} null: causal and positions consecutive,
         * else each row's visible tree rows. Leaves the residual stream (before the final norm) in {@code buffers.x}.
         */
        private void pass(int[] tokens, int start, int[] positions, int[][] tree) {
            ensureCapacity(start + tokens.length);
            BlockObserver observer = null;
            if (featureSlot != null) {
                features = new float[tokens.length * featureLayers * d];
                observer = (l, x, k) -> {
                    if (featureSlot[l] >= 0) keepFeatures(x, k, featureSlot[l]);
                };
            }
            blocks(buffers, tokens, positions, observer, (l, b, k) -> {
                store(l, b, 0, k, start);
                attendCache(b, b.q, k, l, start, tree, b.attn);
            });
        }

        private void keepFeatures(float[] x, int k, int slot) {
            int width = featureLayers * d;
            for (int t = 0; t < k; t++) System.arraycopy(x, t * d, features, t * width + slot * d, d);
        }

        @Override
        public boolean supportsFeatures() {
            return true;
        }

        @Override
        public void captureFeatures(int[] layers) {
            if (layers.length == 0) {
                featureSlot = null;
                return;
            }
            int[] slots = new int[spec.layers()];
            Arrays.fill(slots, -1);
            for (int i = 0; i < layers.length; i++) {
                int l = layers[i];
                if (l < 0 || l >= spec.layers()) {
                    throw new IllegalArgumentException("layer " + l + " does not exist: this " + spec.family() + " model has blocks 0 to "
                            + (spec.layers() - 1));
                }
                if (slots[l] >= 0) throw new IllegalArgumentException("layer " + l + " is asked for twice");
                slots[l] = i;
            }
            featureSlot = slots;
            featureLayers = layers.length;
        }

        @Override
        public float[] features() {
            if (featureSlot == null) throw new IllegalStateException("captureFeatures was not called: no hidden states are kept");
            return features;
        }

        @Override
        public boolean supportsTrees() {
            return paged == null;
        }

        @Override
        protected TreeLogits computeTree(int[] tokens, int[] parents, int[] depths, int[][] visible, int start) {
            int k = tokens.length;
            int[] positions = new int[k];
            for (int i = 0; i < k; i++) positions[i] = start + depths[i];
            pass(tokens, start, positions, visible);
            float[] hidden = Arrays.copyOf(buffers.x, k * d); // the residual stream before the final norm
            int[] firstChild = new int[k];
            Arrays.fill(firstChild, -1);
            for (int i = k - 1; i > 0; i--) if (parents[i] >= 0) firstChild[parents[i]] = i;
            float[][] rows = new float[k][];
            return node -> {
                if (rows[node] == null) {
                    // the node and its first-child chain (the likeliest continuation of a best-first tree) in one LM-head pass
                    int count = 0;
                    for (int n = node; n >= 0 && rows[n] == null; n = firstChild[n]) count++;
                    int[] batch = new int[count];
                    count = 0;
                    for (int n = node; n >= 0 && rows[n] == null; n = firstChild[n]) batch[count++] = n;
                    float[][] computed = logits(buffers, hidden, batch);
                    for (int i = 0; i < batch.length; i++) rows[batch[i]] = computed[i];
                }
                return rows[node];
            };
        }

        @Override
        protected void moveRow(int from, int to) {
            if (paged != null) throw new UnsupportedOperationException("a paged session has no token trees");
            for (int l = 0; l < spec.layers(); l++) {
                System.arraycopy(keys[l], from * kvDim, keys[l], to * kvDim, kvDim);
                System.arraycopy(values[l], from * kvDim, values[l], to * kvDim, kvDim);
            }
        }

        @Override
        protected void release() {
            if (paged != null) paged.release();
            Arrays.fill(keys, null);
            Arrays.fill(values, null);
        }
    }

    /**
     * One pass over the rows of several sessions (continuous batching): the rows of all sessions go through every matmul
     * together (each weight read once per pass), RoPE and attention run per session over its own positions and cache.
     */
    private final class TransformerBatch implements BatchPass {
        private final TransformerBuffers buffers = new TransformerBuffers(spec);

        @Override
        public float[][][] forward(List<Session> sessions, List<int[]> tokens, int[] logitRows) {
            int n = sessions.size();
            if (tokens.size() != n || logitRows.length != n) {
                throw new IllegalArgumentException("a batch pass needs one token array and one logit count per session, got "
                        + n + " sessions, " + tokens.size() + " token arrays and " + logitRows.length + " counts");
            }
            TransformerSession[] seqs = new TransformerSession[n];
            int[] offsets = new int[n + 1];
            int[] starts = new int[n];
            int logitCount = 0;
            for (int i = 0; i < n; i++) {
                if (!(sessions.get(i) instanceof TransformerSession s) || s.outer() != Transformer.this) {
                    throw new IllegalArgumentException("session " + i + " of the batch is not a session of this model");
                }
                for (int j = 0; j < i; j++) {
                    if (seqs[j] == s) throw new IllegalArgumentException("session " + i + " appears twice in the batch");
                }
                s.checkBatchRows(tokens.get(i), logitRows[i]);
                if (s.featureSlot != null) {
                    throw new IllegalArgumentException("session " + i + " captures hidden states, which a batch pass does not keep; "
                            + "run it on its own");
                }
                seqs[i] = s;
                starts[i] = s.length();
                offsets[i + 1] = offsets[i] + tokens.get(i).length;
                logitCount += logitRows[i];
            }
            int total = offsets[n];
            int[] allTokens = new int[total];
            int[] positions = new int[total];
            for (int i = 0; i < n; i++) {
                System.arraycopy(tokens.get(i), 0, allTokens, offsets[i], tokens.get(i).length);
                for (int t = offsets[i]; t < offsets[i + 1]; t++) positions[t] = starts[i] + t - offsets[i];
                seqs[i].ensureCapacity(starts[i] + tokens.get(i).length);
            }
            int qDim = spec.qDim();
            blocks(buffers, allTokens, positions, null, (l, b, k) -> {
                for (int i = 0; i < n; i++) {
                    TransformerSession s = seqs[i];
                    int row = offsets[i];
                    int count = offsets[i + 1] - row;
                    s.store(l, b, row, count, starts[i]);
                    float[] q = b.sessionQ(count * qDim);
                    float[] out = b.sessionOut(count * qDim);
                    System.arraycopy(b.q, row * qDim, q, 0, count * qDim);
                    s.attendCache(b, q, count, l, starts[i], null, out);
                    System.arraycopy(out, 0, b.attn, row * qDim, count * qDim);
                }
            });
            int[] which = new int[logitCount];
            int w = 0;
            for (int i = 0; i < n; i++) {
                for (int r = 0; r < logitRows[i]; r++) which[w++] = offsets[i + 1] - logitRows[i] + r;
            }
            float[][] all = logitCount == 0 ? new float[0][] : logits(buffers, buffers.x, which);
            float[][][] result = new float[n][][];
            w = 0;
            for (int i = 0; i < n; i++) {
                result[i] = Arrays.copyOfRange(all, w, w + logitRows[i]);
                w += logitRows[i];
                seqs[i].appended(tokens.get(i).length);
            }
            return result;
        }
    }
}
