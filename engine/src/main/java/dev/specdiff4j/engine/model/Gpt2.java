package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * GPT-2 (HF GPT2LMHeadModel, or a llama.cpp GPT-2 GGUF): pre-LN blocks, fused q|k|v projection, causal
 * attention, tanh-GELU MLP, final LayerNorm, LM head tied to the token embedding (or GGUF's explicit
 * {@code output.weight}). Weight matrices are kept [out, in] in the dtype asked for; HF's Conv1D
 * weights ([in, out]) are transposed once at load time.
 */
public final class Gpt2 implements LoadedModel {
    /** One block's weights; matrices are [out, in]. */
    public record Layer(float[] ln1Weight, float[] ln1Bias, Tensor qkv, float[] qkvBias, Tensor proj, float[] projBias,
                 float[] ln2Weight, float[] ln2Bias, Tensor fc, float[] fcBias, Tensor fcProj, float[] fcProjBias) {
    }

    private final Gpt2Config config;
    private final Tensor tokenEmbedding;
    private final Tensor positionEmbedding;
    private final Tensor lmHead;
    private final List<Layer> layers;
    private final float[] lnFinalWeight;
    private final float[] lnFinalBias;
    private final Kernels kernels;
    private final ModelFiles files;
    private final Arena arena;
    private final String dtypeDescription;

    private Gpt2(Gpt2Config config, Tensor tokenEmbedding, Tensor positionEmbedding, Tensor lmHead, List<Layer> layers,
                 float[] lnFinalWeight, float[] lnFinalBias, Kernels kernels, ModelFiles files, Arena arena) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.positionEmbedding = positionEmbedding;
        this.lmHead = lmHead;
        this.layers = layers;
        this.lnFinalWeight = lnFinalWeight;
        this.lnFinalBias = lnFinalBias;
        this.kernels = kernels;
        this.files = files;
        this.arena = arena;
        this.dtypeDescription = layers.isEmpty() ? tokenEmbedding.dtype().displayName() : layers.get(0).qkv().dtype().displayName();
    }

    /** Loads an HF GPT-2 folder or a GPT-2 GGUF file. */
    public static Gpt2 load(Path path, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(path);
        Arena arena = Arena.ofShared();
        try {
            return build(files, new Converting(options.dtype(), arena), options.kernels(), arena);
        } catch (RuntimeException e) {
            arena.close();
            files.close();
            throw e;
        }
    }

    /**
     * Checks that opened files hold a complete GPT-2 (every tensor present with the right shape) without
     * converting or copying any weight; returns the config. For inspection tools.
     */
    public static Gpt2Config validate(ModelFiles files) {
        return build(files, (t, transpose) -> t, null, null).config;
    }

    /** Turns a stored matrix into the one the model computes with ([out, in], dtype asked for). */
    @FunctionalInterface
    interface MatrixLoader {
        Tensor load(Tensor stored, boolean transpose);
    }

    private record Converting(DType target, Arena arena) implements MatrixLoader {
        @Override
        public Tensor load(Tensor t, boolean transpose) {
            DType to = target == null ? t.dtype() : target;
            try {
                return t.convert(to, transpose, arena);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException("cannot convert " + t + " to " + to.displayName() + ": " + e.getMessage());
            }
        }
    }

    private static Gpt2 build(ModelFiles files, MatrixLoader loader, Kernels kernels, Arena arena) {
        if (files.architecture() == ModelFiles.Architecture.UNKNOWN) throw new ModelFormatException(files.unsupportedReason());
        if (files.architecture() != ModelFiles.Architecture.GPT2) {
            throw new ModelFormatException(files.path() + " is not a GPT-2 model (found " + files.architecture().name().toLowerCase() + ")");
        }
        return files.gguf() != null ? fromGguf(files, loader, kernels, arena) : fromHf(files, loader, kernels, arena);
    }

    private static Gpt2 fromHf(ModelFiles files, MatrixLoader loader, Kernels kernels, Arena arena) {
        Gpt2Config config = Gpt2Config.fromHf(files.config());
        TensorSource t = files.tensors();
        String prefix = t.find("transformer.wte.weight").isPresent() ? "transformer." : "";
        TensorNames n = new TensorNames(t, prefix);
        int d = config.dim();
        int f = config.ffnDim();
        Tensor wte = loader.load(n.matrix("wte.weight", config.vocabSize(), d), false);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            String b = "h." + i + ".";
            layers.add(new Layer(
                    n.vector(b + "ln_1.weight", d), n.vector(b + "ln_1.bias", d),
                    loader.load(n.matrix(b + "attn.c_attn.weight", d, 3 * d), true), n.vector(b + "attn.c_attn.bias", 3 * d),
                    loader.load(n.matrix(b + "attn.c_proj.weight", d, d), true), n.vector(b + "attn.c_proj.bias", d),
                    n.vector(b + "ln_2.weight", d), n.vector(b + "ln_2.bias", d),
                    loader.load(n.matrix(b + "mlp.c_fc.weight", d, f), true), n.vector(b + "mlp.c_fc.bias", f),
                    loader.load(n.matrix(b + "mlp.c_proj.weight", f, d), true), n.vector(b + "mlp.c_proj.bias", d)));
        }
        Tensor wpe = n.matrix("wpe.weight", config.contextLength(), d);
        return new Gpt2(config, wte, wpe, wte, layers, n.vector("ln_f.weight", d), n.vector("ln_f.bias", d), kernels, files, arena);
    }

    private static Gpt2 fromGguf(ModelFiles files, MatrixLoader loader, Kernels kernels, Arena arena) {
        TensorSource t = files.tensors();
        Tensor tokEmbd = t.tensor("token_embd.weight");
        Gpt2Config config = Gpt2Config.fromGguf(files.gguf(), tokEmbd.rows());
        TensorNames n = new TensorNames(t, "");
        int d = config.dim();
        int f = config.ffnDim();
        Tensor wte = loader.load(n.matrix("token_embd.weight", config.vocabSize(), d), false);
        Optional<Tensor> output = t.find("output.weight");
        Tensor head = output.isPresent() ? loader.load(n.matrix("output.weight", config.vocabSize(), d), false) : wte;
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            String b = "blk." + i + ".";
            layers.add(new Layer(
                    n.vector(b + "attn_norm.weight", d), n.vector(b + "attn_norm.bias", d),
                    loader.load(n.matrix(b + "attn_qkv.weight", 3 * d, d), false), n.vector(b + "attn_qkv.bias", 3 * d),
                    loader.load(n.matrix(b + "attn_output.weight", d, d), false), n.vector(b + "attn_output.bias", d),
                    n.vector(b + "ffn_norm.weight", d), n.vector(b + "ffn_norm.bias", d),
                    loader.load(n.matrix(b + "ffn_up.weight", f, d), false), n.vector(b + "ffn_up.bias", f),
                    loader.load(n.matrix(b + "ffn_down.weight", d, f), false), n.vector(b + "ffn_down.bias", d)));
        }
        Tensor wpe = n.matrix("position_embd.weight", config.contextLength(), d);
        return new Gpt2(config, wte, wpe, head, layers, n.vector("output_norm.weight", d), n.vector("output_norm.bias", d),
                kernels, files, arena);
    }

    public Gpt2Config config() {
        return config;
    }

    /** The weights, for device backends: token and position embeddings, blocks, final norm, LM head ([V, d]). */
    public record Weights(Tensor tokenEmbedding, Tensor positionEmbedding, List<Layer> layers, float[] lnFinalWeight,
                          float[] lnFinalBias, Tensor lmHead) {
    }

    public Weights weights() {
        return new Weights(tokenEmbedding, positionEmbedding, layers, lnFinalWeight, lnFinalBias, lmHead);
    }

    public Kernels kernels() {
        return kernels;
    }

    @Override
    public ModelFiles files() {
        return files;
    }

    @Override
    public int eosTokenId() {
        return config.eosTokenId();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int contextLength() {
        return config.contextLength();
    }

    @Override
    public String describe() {
        return String.format("GPT-2 %d layers x %d (%.1f M parameters, %s weights, context %d) on %s", config.layers(), config.dim(),
                config.parameters() / 1e6, dtypeDescription, config.contextLength(), kernels.describe());
    }

    @Override
    public Session newSession() {
        return new Gpt2Session(Math.min(config.contextLength(), 64));
    }

    @Override
    public Session newSession(int positions) {
        if (positions < 1) throw new IllegalArgumentException("a session needs room for at least one position, got " + positions);
        return new Gpt2Session(Math.min(config.contextLength(), positions));
    }

    /** Keys and values of every layer, float32. */
    @Override
    public long kvBytesPerPosition() {
        return 2L * config.layers() * config.dim() * Float.BYTES;
    }

    @Override
    public BatchPass newBatchPass() {
        return new Gpt2Batch();
    }

    /** Writes the attention output of layer {@code layer} (k rows) from the fused q|k|v rows of a pass. */
    @FunctionalInterface
    private interface AttentionStep {
        void run(int layer, PassBuffers b, int k);
    }

    /** Sees the residual stream {@code x} (k rows) after block {@code layer}; null when nobody asks for hidden states. */
    @FunctionalInterface
    private interface BlockObserver {
        void after(int layer, float[] x, int k);
    }

    /**
     * The transformer over {@code k} rows: token and position embeddings, every block (attention by {@code attention}, which
     * stores the fresh keys/values in the right caches), residual stream left in {@code b.x}; {@code afterBlock}, if not null, sees
     * the residual stream after each block. Every step but attention is
     * per row, so a row's result does not depend on the other rows of the pass.
     */
    private void blocks(PassBuffers b, int[] tokens, int[] positions, BlockObserver afterBlock, AttentionStep attention) {
        int k = tokens.length;
        int d = config.dim();
        b.ensure(k, 0);
        kernels.embedding(tokenEmbedding, tokens, b.x);
        kernels.embedding(positionEmbedding, positions, b.k);
        kernels.residualAdd(b.x, b.k, null, k, d);
        for (int l = 0; l < config.layers(); l++) {
            Layer layer = layers.get(l);
            kernels.layerNorm(b.x, k, d, layer.ln1Weight(), layer.ln1Bias(), config.layerNormEps(), b.h);
            kernels.matmul(b.h, k, layer.qkv(), layer.qkvBias(), b.qkv);
            attention.run(l, b, k);
            kernels.matmul(b.attn, k, layer.proj(), layer.projBias(), b.out);
            kernels.residualAdd(b.x, b.out, null, k, d);
            kernels.layerNorm(b.x, k, d, layer.ln2Weight(), layer.ln2Bias(), config.layerNormEps(), b.h);
            kernels.matmul(b.h, k, layer.fc(), layer.fcBias(), b.ffn);
            kernels.geluTanh(b.ffn, k * config.ffnDim());
            kernels.matmul(b.ffn, k, layer.fcProj(), layer.fcProjBias(), b.out);
            kernels.residualAdd(b.x, b.out, null, k, d);
            if (afterBlock != null) afterBlock.after(l, b.x, k);
        }
    }

    /** Final norm and LM head over the given rows of a residual stream (per-row work: the same bits in any batch). */
    private float[][] logits(PassBuffers b, float[] hidden, int[] which) {
        int n = which.length;
        int d = config.dim();
        b.ensure(1, n);
        float[] last = b.last;
        for (int i = 0; i < n; i++) System.arraycopy(hidden, which[i] * d, last, i * d, d);
        kernels.layerNorm(last, n, d, lnFinalWeight, lnFinalBias, config.layerNormEps(), last);
        int vocab = config.vocabSize();
        float[] logits = b.logits;
        kernels.matmul(last, n, lmHead, null, logits);
        float[][] rows = new float[n][];
        for (int r = 0; r < n; r++) rows[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
        return rows;
    }

    /** A sequence's KV cache and scratch buffers. Not thread-safe: one session per generation. */
    private final class Gpt2Session extends CausalSession {
        private final int d = config.dim();
        private float[][] keys = new float[config.layers()][];   // (L, capacity * C)
        private float[][] values = new float[config.layers()][]; // (L, capacity * C)
        private int capacity;
        private final PassBuffers buffers = new PassBuffers(config.dim(), config.ffnDim(), config.vocabSize());
        /** For each block, its slot in a captured feature row, or −1; null when nothing is captured. */
        private int[] featureSlot;
        private int featureLayers;
        private float[] features = new float[0]; // (k, featureLayers · C) of the latest pass

        Gpt2Session(int positions) {
            super(config.contextLength(), config.vocabSize());
            ensureCapacity(positions);
        }

        Gpt2 outer() {
            return Gpt2.this;
        }

        private void ensureCapacity(int positions) {
            if (positions <= capacity) return;
            int grown = Math.min(config.contextLength(), Math.max(positions, capacity * 2));
            for (int l = 0; l < config.layers(); l++) {
                keys[l] = keys[l] == null ? new float[grown * d] : Arrays.copyOf(keys[l], grown * d);
                values[l] = values[l] == null ? new float[grown * d] : Arrays.copyOf(values[l], grown * d);
            }
            capacity = grown;
        }

        /** Stores the fresh keys/values of {@code count} pass rows from row {@code row} at cache rows start.. of layer l. */
        private void store(int l, float[] qkv, int row, int count, int start) {
            for (int t = 0; t < count; t++) {
                System.arraycopy(qkv, (row + t) * 3 * d + d, keys[l], (start + t) * d, d);
                System.arraycopy(qkv, (row + t) * 3 * d + 2 * d, values[l], (start + t) * d, d);
            }
        }

        private static void queries(float[] qkv, int row, int count, int d, float[] q) {
            for (int t = 0; t < count; t++) System.arraycopy(qkv, (row + t) * 3 * d, q, t * d, d);
        }

        @Override
        protected float[][] compute(int[] tokens, int logitRows, int start) {
            pass(tokens, start, buffers.positions(start, tokens.length), null);
            if (logitRows == 0) return new float[0][];
            int k = tokens.length;
            int[] which = new int[logitRows];
            for (int r = 0; r < logitRows; r++) which[r] = k - logitRows + r;
            return logits(buffers, buffers.x, which);
        }

        /** One pass over {@code tokens} stored at cache rows start..; {@code tree} null: causal, else each row's visible tree rows. */
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
                queries(b.qkv, 0, k, d, b.q);
                store(l, b.qkv, 0, k, start);
                if (tree == null) kernels.attention(b.q, k, keys[l], values[l], start + k, start, true, config.heads(), config.headDim(), b.attn);
                else kernels.treeAttention(b.q, k, keys[l], values[l], start, tree, config.heads(), config.headDim(), b.attn);
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
            int[] slots = new int[config.layers()];
            Arrays.fill(slots, -1);
            for (int i = 0; i < layers.length; i++) {
                int l = layers[i];
                if (l < 0 || l >= config.layers()) {
                    throw new IllegalArgumentException("layer " + l + " does not exist: this GPT-2 has blocks 0 to " + (config.layers() - 1));
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
            return true;
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
            for (int l = 0; l < config.layers(); l++) {
                System.arraycopy(keys[l], from * d, keys[l], to * d, d);
                System.arraycopy(values[l], from * d, values[l], to * d, d);
            }
        }

        @Override
        protected void release() {
            keys = new float[0][];
            values = new float[0][];
        }
    }

    /**
     * One pass over the rows of several sessions (continuous batching): the rows of all sessions go through every matmul
     * together (each weight read once per pass), attention runs per session over its own cache.
     */
    private final class Gpt2Batch implements BatchPass {
        private final PassBuffers buffers = new PassBuffers(config.dim(), config.ffnDim(), config.vocabSize());

        @Override
        public float[][][] forward(List<Session> sessions, List<int[]> tokens, int[] logitRows) {
            int n = sessions.size();
            if (tokens.size() != n || logitRows.length != n) {
                throw new IllegalArgumentException("a batch pass needs one token array and one logit count per session, got "
                        + n + " sessions, " + tokens.size() + " token arrays and " + logitRows.length + " counts");
            }
            Gpt2Session[] seqs = new Gpt2Session[n];
            int[] offsets = new int[n + 1];
            int[] starts = new int[n];
            int logitCount = 0;
            for (int i = 0; i < n; i++) {
                if (!(sessions.get(i) instanceof Gpt2Session s) || s.outer() != Gpt2.this) {
                    throw new IllegalArgumentException("session " + i + " of the batch is not a session of this model");
                }
                for (int j = 0; j < i; j++) {
                    if (seqs[j] == s) throw new IllegalArgumentException("session " + i + " appears twice in the batch");
                }
                s.checkForward(tokens.get(i), logitRows[i]);
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
            int d = config.dim();
            blocks(buffers, allTokens, positions, null, (l, b, k) -> {
                for (int i = 0; i < n; i++) {
                    Gpt2Session s = seqs[i];
                    int row = offsets[i];
                    int count = offsets[i + 1] - row;
                    s.store(l, b.qkv, row, count, starts[i]);
                    Gpt2Session.queries(b.qkv, row, count, d, b.q);
                    // b.h is free here (the qkv matmul consumed it): the session's output rows, then moved into place
                    kernels.attention(b.q, count, s.keys[l], s.values[l], starts[i] + count, starts[i], true, config.heads(),
                            config.headDim(), b.h);
                    System.arraycopy(b.h, 0, b.attn, row * d, count * d);
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
                seqs[i].advance(tokens.get(i).length);
            }
            return result;
        }
    }

    @Override
    public void close() {
        files.close();
        if (arena != null) arena.close();
    }
}
