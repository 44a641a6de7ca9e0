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
import java.util.List;
import java.util.Optional;

/**
 * GPT-2 (HF GPT2LMHeadModel, or a llama.cpp GPT-2 GGUF): pre-LN blocks, fused q|k|v projection, causal
 * attention, tanh-GELU MLP, final LayerNorm, LM head tied to the token embedding (or GGUF's explicit
 * {@code output.weight}). Weight matrices are kept [out, in] in the dtype asked for; HF's Conv1D
 * weights ([in, out]) are transposed once at load time. The forward pass is the transformer core's ({@link #core()}): GPT-2
 * is a configuration of it (LayerNorm with biases, learned positions, one fused q|k|v matmul, GELU MLP).
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
    private final Transformer core;

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
        this.core = kernels == null ? null : new Transformer(spec(config, lmHead == tokenEmbedding), coreWeights(), kernels, null, null);
    }

    /** GPT-2 as a configuration of the transformer core. */
    static TransformerSpec spec(Gpt2Config c, boolean tiedOutput) {
        return new TransformerSpec("gpt2", c.vocabSize(), c.contextLength(), c.dim(), c.layers(), c.heads(), c.heads(), c.headDim(),
                c.ffnDim(), TransformerSpec.Norm.LAYER_NORM, c.layerNormEps(), null, true, false, TransformerSpec.Mlp.GELU_TANH,
                tiedOutput, 0, c.eosTokenId());
    }

    /** The same weights as the core's blocks: q, k and v are row slices of the fused q|k|v matrix, projected in one matmul. */
    private TransformerWeights coreWeights() {
        int d = config.dim();
        List<TransformerWeights.Block> blocks = new ArrayList<>();
        for (Layer l : layers) {
            blocks.add(TransformerWeights.Block.fusedQkv(l.ln1Weight(), l.ln1Bias(), l.qkv(), l.qkvBias(), d, d, l.proj(), l.projBias(),
                    l.ln2Weight(), l.ln2Bias(), null, l.fc(), l.fcBias(), l.fcProj(), l.fcProjBias()));
        }
        return new TransformerWeights(tokenEmbedding, positionEmbedding, blocks, lnFinalWeight, lnFinalBias, lmHead);
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

    /** The transformer core that runs this model's passes (over the same weights, not copies). */
    public Transformer core() {
        return core;
    }

    @Override
    public Session newSession() {
        return core.newSession();
    }

    @Override
    public Session newSession(int positions) {
        return core.newSession(positions);
    }

    @Override
    public Session newSession(int positions, KvPages pages) {
        return core.newSession(positions, pages);
    }

    @Override
    public int kvPageFloats(int pageRows) {
        return core.kvPageFloats(pageRows);
    }

    /** Keys and values of every layer, float32. */
    @Override
    public long kvBytesPerPosition() {
        return core.kvBytesPerPosition();
    }

    @Override
    public BatchPass newBatchPass() {
        return core.newBatchPass();
    }

    @Override
    public void close() {
        files.close();
        if (arena != null) arena.close();
    }
}
