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
        return new Gpt2Session();
    }

    @Override
    public void close() {
        files.close();
        if (arena != null) arena.close();
    }

    /** A sequence's KV cache and scratch buffers. Not thread-safe: one session per generation. */
    private final class Gpt2Session extends CausalSession {
        private final int d = config.dim();
        private float[][] keys = new float[config.layers()][];
        private float[][] values = new float[config.layers()][];
        private int capacity;
        private final PassBuffers buffers = new PassBuffers(config.dim(), config.ffnDim(), config.vocabSize());
        /** For each block, its slot in a captured feature row, or −1; null when nothing is captured. */
        private int[] featureSlot;
        private int featureLayers;
        private float[] features = new float[0]; // (k, featureLayers · C) of the latest pass

        Gpt2Session() {
            super(config.contextLength(), config.vocabSize());
            ensureCapacity(Math.min(config.contextLength(), 64));
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

        @Override
        protected float[][] compute(int[] tokens, int logitRows, int start) {
            return pass(tokens, logitRows, start, buffers.positions(start, tokens.length), null);
        }

        /** One pass over {@code tokens} stored at cache rows start..; {@code tree} null: causal, else each row's visible tree rows. */
        private float[][] pass(int[] tokens, int logitRows, int start, int[] positions, int[][] tree) {
            int k = tokens.length;
            ensureCapacity(start + k);
            buffers.ensure(k, logitRows);
            float[] x = buffers.x;
            float[] pos = buffers.k;
            float[] h = buffers.h;
            float[] qkv = buffers.qkv;
            float[] q = buffers.q;
            float[] attn = buffers.attn;
            float[] out = buffers.out;
            float[] ffn = buffers.ffn;
            kernels.embedding(tokenEmbedding, tokens, x);
            kernels.embedding(positionEmbedding, positions, pos);
            kernels.residualAdd(x, pos, null, k, d);
            if (featureSlot != null) features = new float[k * featureLayers * d];

            for (int l = 0; l < config.layers(); l++) {
                Layer layer = layers.get(l);
                kernels.layerNorm(x, k, d, layer.ln1Weight(), layer.ln1Bias(), config.layerNormEps(), h);
                kernels.matmul(h, k, layer.qkv(), layer.qkvBias(), qkv);
                for (int t = 0; t < k; t++) {
                    System.arraycopy(qkv, t * 3 * d, q, t * d, d);
                    System.arraycopy(qkv, t * 3 * d + d, keys[l], (start + t) * d, d);
                    System.arraycopy(qkv, t * 3 * d + 2 * d, values[l], (start + t) * d, d);
                }
                if (tree == null) kernels.attention(q, k, keys[l], values[l], start + k, start, true, config.heads(), config.headDim(), attn);
                else kernels.treeAttention(q, k, keys[l], values[l], start, tree, config.heads(), config.headDim(), attn);
                kernels.matmul(attn, k, layer.proj(), layer.projBias(), out);
                kernels.residualAdd(x, out, null, k, d);
                kernels.layerNorm(x, k, d, layer.ln2Weight(), layer.ln2Bias(), config.layerNormEps(), h);
                kernels.matmul(h, k, layer.fc(), layer.fcBias(), ffn);
                kernels.geluTanh(ffn, k * config.ffnDim());
                kernels.matmul(ffn, k, layer.fcProj(), layer.fcProjBias(), out);
                kernels.residualAdd(x, out, null, k, d);
                if (featureSlot != null && featureSlot[l] >= 0) keepFeatures(x, k, featureSlot[l]);
            }
            if (logitRows == 0) return new float[0][];
            int[] which = new int[logitRows];
            for (int r = 0; r < logitRows; r++) which[r] = k - logitRows + r;
            return logits(x, which);
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
            pass(tokens, 0, start, positions, visible);
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
                    float[][] computed = logits(hidden, batch);
                    for (int i = 0; i < batch.length; i++) rows[batch[i]] = computed[i];
                }
                return rows[node];
            };
        }

        /** Final norm and LM head over the given rows of a residual stream (per-row work: the same bits in any batch). */
        private float[][] logits(float[] hidden, int[] which) {
            int n = which.length;
            buffers.ensure(1, n);
            float[] last = buffers.last;
            for (int i = 0; i < n; i++) System.arraycopy(hidden, which[i] * d, last, i * d, d);
            kernels.layerNorm(last, n, d, lnFinalWeight, lnFinalBias, config.layerNormEps(), last);
            int vocab = config.vocabSize();
            float[] logits = buffers.logits;
            kernels.matmul(last, n, lmHead, null, logits);
            float[][] rows = new float[n][];
            for (int r = 0; r < n; r++) rows[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            return rows;
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
}
