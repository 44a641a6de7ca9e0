package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerSpec;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A target-conditioned block-diffusion draft head in the manner of DFlash (arXiv 2602.06036; docs/ALGORITHM.md, "Block
 * drafter"). The hidden states of a few target blocks at every committed position are concatenated, fused by one linear map
 * and a LayerNorm, and become keys and values (through each draft layer's own k/v projection, rotary positions) that the
 * draft layers attend to. The block is the last committed token (the target's embedding of it) followed by γ MASK rows
 * (a learned vector), each row plus a learned embedding of its place in the block; its rows attend to the context and to each other (bidirectional), and one pass gives all γ
 * distributions through the drafter's own final LayerNorm and the target's LM head (tied or not), restricted to the draft
 * vocabulary (FR-Spec, arXiv 2502.14856). The head owns no embedding: it borrows the target's. Any transformer target works
 * (GPT-2 or a Llama-layout family): it reads only the target's residual stream after the named blocks, its token embedding
 * and its LM head.
 */
public final class BlockDiffusionDrafter implements AutoCloseable {
    /** One draft layer; matrices are nn.Linear [out, in]. */
    public record Layer(float[] ln1Weight, float[] ln1Bias, Tensor q, Tensor kv, Tensor proj, float[] ln2Weight, float[] ln2Bias,
                        Tensor fc, float[] fcBias, Tensor fcProj, float[] fcProjBias) {
    }

    private final BlockDrafterConfig config;
    private final Tensor fuse;              // (C, L*C)
    private final float[] hiddenNormWeight;
    private final float[] hiddenNormBias;
    private final float[] maskEmbedding;    // (C)
    private final float[] blockEmbedding;   // (S, C) added to row r of the block
    private final List<Layer> layers;
    private final float[] normWeight;
    private final float[] normBias;
    private final Tensor tokenEmbedding;    // the target's (V, C)
    private final Tensor head;              // (N, C): the target's LM head rows of the draft vocabulary (its embedding when tied)
    private final float[] ropeCos;
    private final float[] ropeSin;
    private final Kernels kernels;
    private final ModelFiles files;
    private final Arena arena;

    private BlockDiffusionDrafter(BlockDrafterConfig config, Tensor fuse, float[] hiddenNormWeight, float[] hiddenNormBias,
                                  float[] maskEmbedding, float[] blockEmbedding, List<Layer> layers, float[] normWeight, float[] normBias, Tensor tokenEmbedding,
                                  Tensor head, Kernels kernels, ModelFiles files, Arena arena) {
        this.config = config;
        this.fuse = fuse;
        this.hiddenNormWeight = hiddenNormWeight;
        this.hiddenNormBias = hiddenNormBias;
        this.maskEmbedding = maskEmbedding;
        this.blockEmbedding = blockEmbedding;
        this.layers = layers;
        this.normWeight = normWeight;
        this.normBias = normBias;
        this.tokenEmbedding = tokenEmbedding;
        this.head = head;
        this.kernels = kernels;
        this.files = files;
        this.arena = arena;
        RotaryTables rope = RotaryTables.of(RotaryTables.inverseFrequencies(config.ropeTheta(), config.headDim()),
                config.targetPositions() + config.blockSize());
        this.ropeCos = rope.cos();
        this.ropeSin = rope.sin();
    }

    /** Loads a drafter folder for {@code target}, refusing one trained for another target (hidden size, layers, vocabulary, context). */
    public static BlockDiffusionDrafter load(Path path, Gpt2 target, LoadOptions options) throws IOException {
        return load(path, target.core(), options);
    }

    /** As {@link #load(Path, Gpt2, LoadOptions)} for any transformer target (GPT-2's core, Llama, Qwen, Mistral...). */
    public static BlockDiffusionDrafter load(Path path, Transformer target, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(path);
        Arena arena = Arena.ofShared();
        try {
            return build(files, target, options.dtype(), arena, options.kernels());
        } catch (RuntimeException e) {
            arena.close();
            files.close();
            throw e;
        }
    }

    /** Checks names and shapes of every tensor without a target or converted weights; returns the config. */
    public static BlockDrafterConfig validate(ModelFiles files) {
        return build(files, null, null, null, null).config;
    }

    private static BlockDiffusionDrafter build(ModelFiles files, Transformer target, DType dtype, Arena arena, Kernels kernels) {
        if (files.architecture() == ModelFiles.Architecture.UNKNOWN) throw new ModelFormatException(files.unsupportedReason());
        if (files.architecture() != ModelFiles.Architecture.BLOCK_DRAFTER || files.config() == null) {
            throw new ModelFormatException(files.path() + " is not a block drafter folder (found " + files.architecture().name().toLowerCase() + ")");
        }
        BlockDrafterConfig c = BlockDrafterConfig.fromHf(files.config());
        if (target != null) checkTarget(files.path(), c, target.spec());
        TensorSource t = files.tensors();
        TensorNames n = new TensorNames(t, "");
        int d = c.targetHidden();
        int f = c.ffnDim();
        Tensor fuse = convert(n.matrix("fc.weight", d, c.targetLayers().length * d), dtype, arena);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String b = "layers." + i + ".";
            layers.add(new Layer(n.vector(b + "ln_1.weight", d), n.vector(b + "ln_1.bias", d),
                    convert(n.matrix(b + "q.weight", d, d), dtype, arena), convert(n.matrix(b + "kv.weight", 2 * d, d), dtype, arena),
                    convert(n.matrix(b + "proj.weight", d, d), dtype, arena),
                    n.vector(b + "ln_2.weight", d), n.vector(b + "ln_2.bias", d),
                    convert(n.matrix(b + "fc.weight", f, d), dtype, arena), n.vector(b + "fc.bias", f),
                    convert(n.matrix(b + "fc_proj.weight", d, f), dtype, arena), n.vector(b + "fc_proj.bias", d)));
        }
        float[] hiddenW = n.vector("hidden_norm.weight", d);
        float[] hiddenB = n.vector("hidden_norm.bias", d);
        float[] mask = n.vector("mask_embedding", d);
        float[] blockRows = n.matrix("block_embedding", c.blockSize(), d).toFloatArray();
        float[] normW = n.vector("norm.weight", d);
        float[] normB = n.vector("norm.bias", d);
        if (target == null) return new BlockDiffusionDrafter(c, fuse, hiddenW, hiddenB, mask, blockRows, layers, normW, normB, null, null, null, files, null);
        TransformerWeights tw = target.weights();
        return new BlockDiffusionDrafter(c, fuse, hiddenW, hiddenB, mask, blockRows, layers, normW, normB, tw.tokenEmbedding(),
                draftHead(tw.lmHead(), c.draftVocab(), arena), kernels, files, arena);
    }

    private static void checkTarget(Path path, BlockDrafterConfig c, TransformerSpec target) {
        if (target.attention() != TransformerSpec.Attention.CAUSAL) {
            throw new ModelFormatException(path + " is a block drafter: its target must be a decoder, not a " + target.family() + " model");
        }
        String trained = path + " is a block drafter for a target with ";
        if (c.targetHidden() != target.dim()) {
            throw new ModelFormatException(trained + "hidden size " + c.targetHidden() + ", but the target's hidden size is " + target.dim());
        }
        if (c.targetVocab() != target.vocabSize()) {
            throw new ModelFormatException(trained + "a vocabulary of " + c.targetVocab() + " tokens, but the target's has " + target.vocabSize());
        }
        for (int l : c.targetLayers()) {
            if (l >= target.layers()) {
                throw new ModelFormatException(trained + "layer " + l + " (target_layers " + Arrays.toString(c.targetLayers())
                        + "), but the target has only " + target.layers() + " layers");
            }
        }
        if (c.targetPositions() != target.contextLength()) {
            throw new ModelFormatException(trained + "a context of " + c.targetPositions() + " positions, but the target's is "
                    + target.contextLength());
        }
    }

    /** The LM head restricted to the draft vocabulary: the whole head when the draft vocabulary is every id in order. */
    private static Tensor draftHead(Tensor lmHead, int[] ids, Arena arena) {
        boolean whole = ids.length == lmHead.rows();
        for (int i = 0; whole && i < ids.length; i++) whole = ids[i] == i;
        if (whole) return lmHead;
        int d = lmHead.cols();
        float[] rows = new float[ids.length * d];
        for (int i = 0; i < ids.length; i++) lmHead.read((long) ids[i] * d, d, rows, i * d);
        DType dtype = lmHead.dtype() == DType.F16 || lmHead.dtype() == DType.BF16 ? lmHead.dtype() : DType.F32;
        return Tensor.of("draft head", dtype, new long[] {ids.length, d}, rows, arena);
    }

    private static Tensor convert(Tensor t, DType dtype, Arena arena) {
        if (arena == null || dtype == null || dtype == t.dtype()) return t;
        try {
            return t.convert(dtype, false, arena);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("cannot convert " + t + " to " + dtype.displayName() + ": " + e.getMessage());
        }
    }

    public BlockDrafterConfig config() {
        return config;
    }

    public ModelFiles files() {
        return files;
    }

    public String describe() {
        return String.format("block drafter %d layer%s x %d over target layers %s (%.2f M parameters, %s weights, block %d, draft vocabulary %d) on %s",
                config.layers(), config.layers() == 1 ? "" : "s", config.targetHidden(), Arrays.toString(config.targetLayers()),
                config.parameters() / 1e6, fuse.dtype().displayName(), config.blockSize(), config.draftVocab().length, kernels.describe());
    }

    /** One generation's context: the draft layers' keys and values of the target features handed to it so far. */
    public Context newContext() {
        return new Context();
    }

    @Override
    public void close() {
        files.close();
        if (arena != null) arena.close();
    }

    /** Keys and values per draft layer for positions 0..known−1 of one sequence. Not thread-safe. */
    public final class Context {
        private final int d = config.targetHidden();
        private final float[][] keys = new float[config.layers()][];
        private final float[][] values = new float[config.layers()][];
        private int capacity;
        private int known;

        Context() {
            grow(64);
        }

        private void grow(int positions) {
            if (positions <= capacity) return;
            int grown = Math.min(config.targetPositions() + config.blockSize(), Math.max(positions, capacity * 2));
            for (int l = 0; l < config.layers(); l++) {
                keys[l] = keys[l] == null ? new float[grown * d] : Arrays.copyOf(keys[l], grown * d);
                values[l] = values[l] == null ? new float[grown * d] : Arrays.copyOf(values[l], grown * d);
            }
            capacity = grown;
        }

        /** Positions whose target features were handed over (and not overwritten by a draft since). */
        public int known() {
            return known;
        }

        /**
         * Takes the target's features of positions {@code from .. from+rows−1} ((rows, L·C), the layers in config order), and
         * forgets any position after them.
         */
        public void append(int from, float[] features, int rows) {
            int width = config.targetLayers().length * d;
            if (from < 0 || from > known) {
                throw new IllegalArgumentException("features from position " + from + " leave a gap: the drafter holds positions 0.." + (known - 1));
            }
            if (from + rows > config.targetPositions()) {
                throw new IllegalArgumentException("position " + (from + rows - 1) + " is past the target's context of " + config.targetPositions());
            }
            if (features.length < rows * width) {
                throw new IllegalArgumentException(rows + " rows of features need " + rows * width + " values, got " + features.length);
            }
            if (rows == 0) {
                known = from;
                return;
            }
            grow(from + rows);
            float[] fused = new float[rows * d];
            kernels.matmul(features, rows, fuse, null, fused);
            kernels.layerNorm(fused, rows, d, hiddenNormWeight, hiddenNormBias, config.layerNormEps(), fused);
            float[] kv = new float[rows * 2 * d];
            float[] k = new float[rows * d];
            for (int l = 0; l < config.layers(); l++) {
                kernels.matmul(fused, rows, layers.get(l).kv(), null, kv);
                splitKeysValues(kv, rows, k, l, from);
            }
            known = from + rows;
        }

        /** Splits a (rows, 2C) k|v projection: keys rotated for positions from.. and both stored in layer l's cache. */
        private void splitKeysValues(float[] kv, int rows, float[] k, int l, int from) {
            for (int t = 0; t < rows; t++) {
                System.arraycopy(kv, t * 2 * d, k, t * d, d);
                System.arraycopy(kv, t * 2 * d + d, values[l], (from + t) * d, d);
            }
            kernels.rope(k, rows, config.heads(), config.headDim(), from, ropeCos, ropeSin);
            System.arraycopy(k, 0, keys[l], from * d, rows * d);
        }

        /**
         * One pass over the block at positions {@code position .. position+γ}: {@code token} (the last committed token, at
         * {@code position}) and γ masks, seeing the context positions 0..position−1. Returns γ rows of logits over the draft
         * vocabulary ({@link BlockDrafterConfig#draftVocab}). The block's keys overwrite the cache from {@code position} on, so
         * the context is cut to {@code position}.
         */
        public float[][] draft(int token, int position, int gamma) {
            if (gamma < 1 || gamma > config.maxGamma()) {
                throw new IllegalArgumentException("gamma " + gamma + " is outside 1.." + config.maxGamma() + " (the drafter's block size is "
                        + config.blockSize() + ")");
            }
            if (position > known) {
                throw new IllegalStateException("the drafter holds the target's features of " + known + " positions but drafting at position "
                        + position + " needs " + position + "; a block drafter drafts only where it is handed the target's features");
            }
            if (position + gamma + 1 > config.targetPositions() + config.blockSize()) {
                throw new IllegalArgumentException("a block at position " + position + " does not fit the context of " + config.targetPositions());
            }
            if (token < 0 || token >= tokenEmbedding.rows()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + tokenEmbedding.rows());
            }
            int s = gamma + 1;
            grow(position + s);
            float[] x = new float[s * d];
            kernels.embedding(tokenEmbedding, new int[] {token}, x);
            for (int r = 1; r < s; r++) System.arraycopy(maskEmbedding, 0, x, r * d, d);
            for (int i = 0; i < s * d; i++) x[i] += blockEmbedding[i];
            float[] h = new float[s * d];
            float[] q = new float[s * d];
            float[] kv = new float[s * 2 * d];
            float[] k = new float[s * d];
            float[] attn = new float[s * d];
            float[] out = new float[s * d];
            float[] ffn = new float[s * config.ffnDim()];
            for (int l = 0; l < config.layers(); l++) {
                Layer layer = layers.get(l);
                kernels.layerNorm(x, s, d, layer.ln1Weight(), layer.ln1Bias(), config.layerNormEps(), h);
                kernels.matmul(h, s, layer.q(), null, q);
                kernels.rope(q, s, config.heads(), config.headDim(), position, ropeCos, ropeSin);
                kernels.matmul(h, s, layer.kv(), null, kv);
                splitKeysValues(kv, s, k, l, position);
                kernels.attention(q, s, keys[l], values[l], position + s, position, false, config.heads(), config.headDim(), attn);
                kernels.matmul(attn, s, layer.proj(), null, out);
                kernels.residualAdd(x, out, null, s, d);
                kernels.layerNorm(x, s, d, layer.ln2Weight(), layer.ln2Bias(), config.layerNormEps(), h);
                kernels.matmul(h, s, layer.fc(), layer.fcBias(), ffn);
                kernels.geluTanh(ffn, s * config.ffnDim());
                kernels.matmul(ffn, s, layer.fcProj(), layer.fcProjBias(), out);
                kernels.residualAdd(x, out, null, s, d);
            }
            known = position;
            float[] masks = Arrays.copyOfRange(x, d, s * d);
            kernels.layerNorm(masks, gamma, d, normWeight, normBias, config.layerNormEps(), masks);
            int vocab = config.draftVocab().length;
            float[] logits = new float[gamma * vocab];
            kernels.matmul(masks, gamma, head, null, logits);
            float[][] rows = new float[gamma][];
            for (int r = 0; r < gamma; r++) rows[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            return rows;
        }
    }
}
