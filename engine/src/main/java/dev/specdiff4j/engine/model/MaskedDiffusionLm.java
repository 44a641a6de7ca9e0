package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.model.transformer.BidirectionalCache;
import dev.specdiff4j.engine.model.transformer.RopeSpec;
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
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * The MDLM masked-diffusion language model (the DiT backbone of kuleshov-group/mdlm, HF layout
 * {@code backbone.*}; docs/ALGORITHM.md, "Checkpoint layouts"). With time conditioning off the conditioning
 * vector is a constant, so at load time every adaLN modulation is computed once and folded in: each
 * "LayerNorm(x)·w·(1 + scale) + shift" becomes a LayerNorm with weight w·(1 + scale) and bias shift,
 * and the gates become per-feature residual weights. What remains is a bidirectional pre-LN transformer
 * with GPT-NeoX rotary embeddings: a configuration of the transformer core ({@link #core()}, {@link #spec}) that every
 * CPU pass runs on.
 *
 * <p>Two ways to run it: {@link #forward} over a whole sequence (exact), and a {@link BlockCache}
 * whose {@code refresh} recomputes only a block of positions against keys and values cached for all
 * the others (the cached-prefix approximation used for drafting).
 */
public final class MaskedDiffusionLm implements AutoCloseable {
    /** One DiT block with its modulations folded in; matrices are nn.Linear [out, in]. */
    public record Block(float[] norm1Weight, float[] norm1Bias, Tensor qkv, Tensor out, float[] gate1,
                 float[] norm2Weight, float[] norm2Bias, Tensor fc1, float[] fc1Bias, Tensor fc2, float[] fc2Bias, float[] gate2) {
    }

    private final MdlmConfig config;
    private final Tensor embedding;
    private final List<Block> blocks;
    private final float[] finalNormWeight;
    private final float[] finalNormBias;
    private final Tensor outputWeight;
    private final float[] outputBias;
    private final float[] invFreq;
    private final Kernels kernels;
    private final ModelFiles files;
    private final Arena arena;
    private final Transformer core;
    private volatile IntFunction<Passes> devicePasses;
    private volatile String deviceDescription;

    private MaskedDiffusionLm(MdlmConfig config, Tensor embedding, List<Block> blocks, float[] finalNormWeight, float[] finalNormBias,
                              Tensor outputWeight, float[] outputBias, float[] invFreq, Kernels kernels, ModelFiles files, Arena arena) {
        this.config = config;
        this.embedding = embedding;
        this.blocks = blocks;
        this.finalNormWeight = finalNormWeight;
        this.finalNormBias = finalNormBias;
        this.outputWeight = outputWeight;
        this.outputBias = outputBias;
        this.invFreq = invFreq;
        this.kernels = kernels;
        this.files = files;
        this.arena = arena;
        this.core = kernels == null ? null : new Transformer(spec(config, invFreq), coreWeights(), kernels, null, null);
    }

    /**
     * The MDLM DiT as a configuration of the transformer core: bidirectional attention, LayerNorm (the folded adaLN shift
     * as its bias), multi-head attention without biases from one fused q|k|v matrix, NeoX RoPE over the stored float32
     * {@code inv_freq} with float32 angles, GELU MLP with biases, an untied output layer with a bias.
     */
    static TransformerSpec spec(MdlmConfig c, float[] invFreq) {
        return new TransformerSpec("mdlm", c.vocabSize(), c.modelLength(), c.dim(), c.blocks(), c.heads(), c.heads(), c.headDim(),
                4 * c.dim(), TransformerSpec.Norm.LAYER_NORM, MdlmConfig.LAYER_NORM_EPS, RopeSpec.float32(invFreq), false, false,
                TransformerSpec.Mlp.GELU_TANH, false, 0, -1, TransformerSpec.Attention.BIDIRECTIONAL);
    }

    /** The same weights as the core's blocks, the adaLN gates as residual gates. */
    private TransformerWeights coreWeights() {
        int d = config.dim();
        List<TransformerWeights.Block> coreBlocks = new ArrayList<>();
        for (Block b : blocks) {
            coreBlocks.add(TransformerWeights.Block.fusedQkv(b.norm1Weight(), b.norm1Bias(), b.qkv(), null, d, d, b.out(), null,
                    b.norm2Weight(), b.norm2Bias(), null, b.fc1(), b.fc1Bias(), b.fc2(), b.fc2Bias()).withResidualGates(b.gate1(), b.gate2()));
        }
        return new TransformerWeights(embedding, null, coreBlocks, finalNormWeight, finalNormBias, outputWeight, outputBias);
    }

    /** The transformer core every CPU pass of this model runs on. */
    public Transformer core() {
        return core;
    }

    public static MaskedDiffusionLm load(Path path, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(path);
        Arena arena = Arena.ofShared();
        try {
            return build(files, options.dtype(), arena, options.kernels());
        } catch (RuntimeException e) {
            arena.close();
            files.close();
            throw e;
        }
    }

    /** Checks names and shapes of every tensor without converting weights; returns the config. */
    public static MdlmConfig validate(ModelFiles files) {
        return build(files, null, null, null).config;
    }

    private static MaskedDiffusionLm build(ModelFiles files, DType dtype, Arena arena, Kernels kernels) {
        if (files.architecture() == ModelFiles.Architecture.UNKNOWN) throw new ModelFormatException(files.unsupportedReason());
        if (files.architecture() != ModelFiles.Architecture.MDLM || files.config() == null) {
            throw new ModelFormatException(files.path() + " is not an MDLM model folder (found " + files.architecture().name().toLowerCase() + ")");
        }
        MdlmConfig c = MdlmConfig.fromHf(files.config());
        TensorSource t = files.tensors();
        TensorNames n = new TensorNames(t, "backbone.");
        int d = c.dim();
        Tensor embedding = n.matrix("vocab_embed.embedding", c.vocabSize(), d);
        if (embedding.rows() < 2) throw new ModelFormatException(files.path() + ": the vocabulary has no room for a MASK token");
        double[] cond = conditioning(n, c);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.blocks(); i++) {
            String b = "blocks." + i + ".";
            float[] mod = modulation(n, b + "adaLN_modulation", 6 * d, c.condDim(), cond);
            float[] shift1 = Arrays.copyOfRange(mod, 0, d);
            float[] scale1 = Arrays.copyOfRange(mod, d, 2 * d);
            float[] gate1 = Arrays.copyOfRange(mod, 2 * d, 3 * d);
            float[] shift2 = Arrays.copyOfRange(mod, 3 * d, 4 * d);
            float[] scale2 = Arrays.copyOfRange(mod, 4 * d, 5 * d);
            float[] gate2 = Arrays.copyOfRange(mod, 5 * d, 6 * d);
            blocks.add(new Block(
                    modulated(n.vector(b + "norm1.weight", d), scale1), shift1,
                    convert(n.matrix(b + "attn_qkv.weight", 3 * d, d), dtype, arena), convert(n.matrix(b + "attn_out.weight", d, d), dtype, arena), gate1,
                    modulated(n.vector(b + "norm2.weight", d), scale2), shift2,
                    convert(n.matrix(b + "mlp.0.weight", 4 * d, d), dtype, arena), n.vector(b + "mlp.0.bias", 4 * d),
                    convert(n.matrix(b + "mlp.2.weight", d, 4 * d), dtype, arena), n.vector(b + "mlp.2.bias", d), gate2));
        }
        float[] finalMod = modulation(n, "output_layer.adaLN_modulation", 2 * d, c.condDim(), cond);
        float[] finalWeight = modulated(n.vector("output_layer.norm_final.weight", d), Arrays.copyOfRange(finalMod, d, 2 * d));
        float[] finalBias = Arrays.copyOfRange(finalMod, 0, d);
        Tensor output = convert(n.matrix("output_layer.linear.weight", c.vocabSize(), d), dtype, arena);
        float[] outputBias = n.vector("output_layer.linear.bias", c.vocabSize());
        Optional<Tensor> stored = t.find("backbone.rotary_emb.inv_freq");
        float[] invFreq = stored.isPresent()
                ? n.vector("rotary_emb.inv_freq", c.headDim() / 2) // differs from a recomputation in the last bit
                : RotaryTables.inverseFrequencies(10000.0, c.headDim());
        return new MaskedDiffusionLm(c, convert(embedding, dtype, arena), blocks, finalWeight, finalBias, output, outputBias, invFreq,
                kernels, files, arena);
    }

    private static Tensor convert(Tensor t, DType dtype, Arena arena) {
        if (arena == null || dtype == null || dtype == t.dtype()) return t;
        try {
            return t.convert(dtype, false, arena);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("cannot convert " + t + " to " + dtype.displayName() + ": " + e.getMessage());
        }
    }

    /** c = silu(W2·silu(W1·temb(σ=0) + b1) + b2), with temb(0) = [1]*128 ++ [0]*128; in double. */
    private static double[] conditioning(TensorNames n, MdlmConfig c) {
        double[] temb = new double[MdlmConfig.TIME_EMBEDDING];
        Arrays.fill(temb, 0, MdlmConfig.TIME_EMBEDDING / 2, 1.0);
        double[] h = linear(n.matrix("sigma_map.mlp.0.weight", c.condDim(), MdlmConfig.TIME_EMBEDDING), n.vector("sigma_map.mlp.0.bias", c.condDim()), temb);
        for (int i = 0; i < h.length; i++) h[i] = silu(h[i]);
        double[] out = linear(n.matrix("sigma_map.mlp.2.weight", c.condDim(), c.condDim()), n.vector("sigma_map.mlp.2.bias", c.condDim()), h);
        for (int i = 0; i < out.length; i++) out[i] = silu(out[i]);
        return out;
    }

    private static float[] modulation(TensorNames n, String name, int size, int condDim, double[] cond) {
        double[] m = linear(n.matrix(name + ".weight", size, condDim), n.vector(name + ".bias", size), cond);
        float[] out = new float[size];
        for (int i = 0; i < size; i++) out[i] = (float) m[i];
        return out;
    }

    private static double[] linear(Tensor w, float[] bias, double[] x) {
        int rows = w.rows();
        int cols = w.cols();
        double[] y = new double[rows];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.read((long) r * cols, cols, row, 0);
            double s = bias[r];
            for (int k = 0; k < cols; k++) s += row[k] * x[k];
            y[r] = s;
        }
        return y;
    }

    private static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    private static float[] modulated(float[] weight, float[] scale) {
        float[] out = new float[weight.length];
        for (int i = 0; i < weight.length; i++) out[i] = (float) ((double) weight[i] * (1.0 + scale[i]));
        return out;
    }

    public MdlmConfig config() {
        return config;
    }

    /**
     * The weights with the adaLN modulations folded in, for device backends: embedding [V+1, d], blocks, final
     * norm weight and bias, output layer [V+1, d] with bias, and the rotary tables [model length][head dim / 2].
     */
    public record Weights(Tensor embedding, List<Block> blocks, float[] finalNormWeight, float[] finalNormBias, Tensor outputWeight,
                          float[] outputBias, float[] ropeCos, float[] ropeSin) {
    }

    public Weights weights() {
        RotaryTables rope = RotaryTables.of(invFreq, config.modelLength());
        return new Weights(embedding, blocks, finalNormWeight, finalNormBias, outputWeight, outputBias, rope.cos(), rope.sin());
    }

    /**
     * Denoising passes computed elsewhere (a device backend): the same contract as {@link BlockCache#full}
     * and {@link BlockCache#refresh} for one sequence length.
     */
    public interface Passes extends AutoCloseable {
        float[][] full(int[] sequence, int firstRow, int rows);

        float[][] refresh(int start, int[] block);

        /**
         * One greedy step of the ancestral sampler over the block of {@code blockLength} positions at {@code blockStart}
         * of {@code sequence}: a pass ({@link #full} over the sequence when {@code full}, else {@link #refresh} of the
         * block), then every block position j whose token is MASK and whose uniform {@code stay[j]} is at least
         * {@code stayProbability} takes the argmax of its logits row, MASK (the last entry) excluded; the others keep
         * their tokens. Returns the block's new tokens. Here the logits come back and the step runs on the host; a device
         * backend runs it where the logits are and brings back only the block.
         */
        default int[] passAndUnmask(boolean full, int[] sequence, int blockStart, int blockLength, double stayProbability, double[] stay) {
            float[][] logits = full ? full(sequence, blockStart, blockLength)
                    : refresh(blockStart, Arrays.copyOfRange(sequence, blockStart, blockStart + blockLength));
            int[] block = Arrays.copyOfRange(sequence, blockStart, blockStart + blockLength);
            for (int j = 0; j < blockLength; j++) {
                float[] row = logits[j];
                int mask = row.length - 1;
                if (block[j] != mask || stay[j] < stayProbability) continue;
                int best = 0;
                for (int i = 1; i < mask; i++) if (row[i] > row[best]) best = i;
                block[j] = best;
            }
            return block;
        }

        /** Where and how the passes run, for the model's description. */
        default String describe() {
            return getClass().getSimpleName();
        }

        @Override
        void close();
    }

    public int maskId() {
        return config.maskId();
    }

    public Kernels kernels() {
        return kernels;
    }

    public ModelFiles files() {
        return files;
    }

    public String describe() {
        return String.format("MDLM %d blocks x %d (%.1f M parameters, %s weights, model length %d) on %s", config.blocks(), config.dim(),
                config.parameters() / 1e6, blocks.get(0).qkv().dtype().displayName(), config.modelLength(),
                deviceDescription != null ? deviceDescription : kernels.describe());
    }

    /**
     * The exact bidirectional pass over {@code ids} (positions 0..L−1); returns the logits of rows
     * [firstRow, firstRow + rows) only.
     */
    public float[][] forward(int[] ids, int firstRow, int rows) {
        BlockCache cache = new BlockCache(ids.length);
        return cache.full(ids, firstRow, rows);
    }

    /** Runs the denoising passes through a device backend from now on (set once, at load time). */
    public void useDevice(IntFunction<Passes> passes, String description) {
        this.devicePasses = passes;
        this.deviceDescription = description;
    }

    /** Passes over sequences of {@code length} positions: on the device when one is set, else the CPU block cache. */
    public Passes passes(int length) {
        IntFunction<Passes> device = devicePasses;
        return device != null ? device.apply(length) : new BlockCache(length);
    }

    /**
     * Keys and values of every position of a sequence, kept so that later passes recompute only a block
     * of positions: those positions attend to the fresh keys of the block and to the cached keys of all
     * the others (computed by the last full pass, when the block held other tokens). The core's
     * {@link BidirectionalCache}, with the drafter's checks.
     */
    public final class BlockCache implements Passes {
        private final BidirectionalCache cache;

        public BlockCache(int length) {
            if (length < 1 || length > config.modelLength()) {
                throw new IllegalArgumentException("a sequence of " + length + " positions does not fit the drafter's model length "
                        + config.modelLength());
            }
            this.cache = core.newBidirectionalCache(length);
        }

        @Override
        public void close() {
        }

        /** A full pass over all positions (exact); fills the cache; logits of rows [firstRow, firstRow + rows). */
        @Override
        public float[][] full(int[] sequence, int firstRow, int rows) {
            checkTokens(sequence);
            return cache.full(sequence, firstRow, rows);
        }

        /**
         * Recomputes only positions [start, start + block.length): the block's new tokens attend to their own
         * fresh keys and to the cached keys of every other position. Returns the block's logits.
         */
        @Override
        public float[][] refresh(int start, int[] block) {
            checkTokens(block);
            return cache.refresh(start, block);
        }

        private void checkTokens(int[] tokens) {
            for (int id : tokens) {
                if (id < 0 || id >= config.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the drafter's vocabulary of " + config.vocabSize());
            }
        }
    }

    @Override
    public void close() {
        files.close();
        if (arena != null) arena.close();
    }
}
