package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.MdlmConfig;
import dev.specdiff4j.engine.model.transformer.RopeTables;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.tornado.ArrayMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pre-norm transformer in the arrays the kernels read: any configuration of the engine's core that decodes (GPT-2, Llama 2
 * and 3, Mistral, Qwen 2 and 3, phi3) and the MDLM DiT. Missing biases are zeros and missing gates ones, so one graph serves
 * every family; q, k and v are one stacked matrix (stacked here when the checkpoint keeps them apart), so one matmul projects
 * them into fused rows {@code qDim + 2·kvDim} wide.
 *
 * @param rmsNorm       RMSNorm (the weights only) instead of LayerNorm (weights and biases) in every block and at the end
 * @param swiglu        a SwiGLU MLP (gate, up, down) instead of a GELU one (up, down)
 * @param positionTable learned position embeddings [positions, dim] (GPT-2), or null
 * @param ropeCos       rotary tables [positions][headDim/2], scaling and attention factor applied (everything with RoPE), or null
 * @param vocab         logits per row
 * @param positions     positions the device caches hold: the model's context, or less (see {@link #of})
 */
record TransformerSpec(String name, int vocab, int dim, int heads, int kvHeads, int headDim, int ffn, float eps, boolean rmsNorm,
                       boolean swiglu, boolean causal, int positions, ArrayMatrix tokenEmbedding, float[] positionTable, float[] ropeCos,
                       float[] ropeSin, List<Layer> layers, float[] finalNormWeight, float[] finalNormBias, ArrayMatrix head, float[] headBias) {

    /**
     * One block.
     *
     * @param qkv   (qDim + 2·kvDim, dim) q, k and v stacked
     * @param qNorm (headDim) the QK-norm weights of the queries (Qwen 3), or null; {@code kNorm} likewise for the keys
     * @param gate  (ffn, dim) the SwiGLU gate, or null for a GELU MLP; {@code fc1} is the up projection, {@code fc2} the down one
     */
    record Layer(float[] norm1Weight, float[] norm1Bias, ArrayMatrix qkv, float[] qkvBias, float[] qNorm, float[] kNorm, ArrayMatrix out,
                 float[] outBias, float[] gate1, float[] norm2Weight, float[] norm2Bias, ArrayMatrix gate, ArrayMatrix fc1, float[] fc1Bias,
                 ArrayMatrix fc2, float[] fc2Bias, float[] gate2) {
    }

    /** Width of all query heads together. */
    int qDim() {
        return heads * headDim;
    }

    /** Width of all key (or value) heads together: a cache row. */
    int kvDim() {
        return kvHeads * headDim;
    }

    /** Width of a fused q|k|v row. */
    int qkvWidth() {
        return qDim() + 2 * kvDim();
    }

    /**
     * The device form of a core decoder whose caches hold {@code positions} positions (at most its context: a Llama 3
     * context of 131,072 positions would take gigabytes of cache per session); anything the device graph cannot run is
     * refused naming the part.
     */
    static TransformerSpec of(dev.specdiff4j.engine.model.transformer.TransformerSpec spec, TransformerWeights w, int positions) {
        String unsupported = unsupported(spec, w);
        if (unsupported != null) {
            throw new IllegalArgumentException("the TornadoVM backend cannot run this " + spec.family() + " model: " + unsupported);
        }
        if (positions < 1 || positions > spec.contextLength()) {
            throw new IllegalArgumentException("device caches of " + positions + " positions for a context of " + spec.contextLength());
        }
        Matrices m = new Matrices();
        int d = spec.dim();
        int width = spec.qDim() + 2 * spec.kvDim();
        boolean rms = spec.norm() == dev.specdiff4j.engine.model.transformer.TransformerSpec.Norm.RMS_NORM;
        float[] ones = filled(d, 1f);
        List<Layer> layers = new ArrayList<>();
        for (TransformerWeights.Block b : w.blocks()) {
            ArrayMatrix qkv = b.wqkv() != null ? m.of(b.wqkv()) : ArrayMatrix.stack(List.of(b.wq(), b.wk(), b.wv()));
            float[] qkvBias = b.wqkv() != null ? orZeros(b.qkvBias(), width) : concat(spec.qDim(), b.qBias(), spec.kvDim(), b.kBias(), spec.kvDim(), b.vBias());
            layers.add(new Layer(b.attentionNorm(), orZeros(rms ? null : b.attentionNormBias(), d), qkv, qkvBias, b.qNorm(), b.kNorm(),
                    m.of(b.wo()), orZeros(b.oBias(), d), orOnes(b.attentionGate(), ones), b.mlpNorm(), orZeros(rms ? null : b.mlpNormBias(), d),
                    b.gate() == null ? null : m.of(b.gate()), m.of(b.up()), orZeros(b.upBias(), spec.ffnDim()), m.of(b.down()),
                    orZeros(b.downBias(), d), orOnes(b.mlpGate(), ones)));
        }
        float[] cos = null;
        float[] sin = null;
        if (spec.rope() != null) {
            RopeTables.Tables t = new RopeTables(spec.rope(), positions).covering(positions); // exactly these positions
            cos = t.cos();
            sin = t.sin();
        }
        return new TransformerSpec(spec.family(), spec.vocabSize(), d, spec.heads(), spec.kvHeads(), spec.headDim(), spec.ffnDim(),
                spec.normEps(), rms, spec.mlp() == dev.specdiff4j.engine.model.transformer.TransformerSpec.Mlp.SWIGLU, true, positions,
                m.of(w.tokenEmbedding()), w.positionEmbedding() == null ? null : w.positionEmbedding().toFloatArray(), cos, sin, layers,
                w.finalNorm(), orZeros(rms ? null : w.finalNormBias(), d), m.of(w.lmHead()), orZeros(w.lmHeadBias(), spec.vocabSize()));
    }

    /** Why the device graph cannot run a core spec, or null when it can. */
    static String unsupported(dev.specdiff4j.engine.model.transformer.TransformerSpec spec, TransformerWeights w) {
        if (spec.attention() != dev.specdiff4j.engine.model.transformer.TransformerSpec.Attention.CAUSAL) {
            return "bidirectional attention (causal sessions only; the MDLM has its own device passes)";
        }
        if (spec.rope() != null && w.positionEmbedding() != null) return "both rotary and learned positions";
        if (spec.qkNorm()) {
            for (TransformerWeights.Block b : w.blocks()) {
                if (b.qNorm() == null || b.kNorm() == null) return "QK-norm without its weights";
            }
        }
        return null;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    private static float[] orZeros(float[] v, int n) {
        return v != null ? v : new float[n];
    }

    private static float[] orOnes(float[] gate, float[] ones) {
        return gate != null ? gate : ones;
    }

    /** The q, k and v biases one after the other, zeros for those that are missing. */
    private static float[] concat(int qDim, float[] q, int kvDim, float[] k, int vDim, float[] v) {
        float[] all = new float[qDim + kvDim + vDim];
        if (q != null) System.arraycopy(q, 0, all, 0, qDim);
        if (k != null) System.arraycopy(k, 0, all, qDim, kvDim);
        if (v != null) System.arraycopy(v, 0, all, qDim + kvDim, vDim);
        return all;
    }

    static TransformerSpec of(MaskedDiffusionLm model) {
        MdlmConfig c = model.config();
        MaskedDiffusionLm.Weights w = model.weights();
        Matrices m = new Matrices();
        List<Layer> layers = new ArrayList<>();
        for (MaskedDiffusionLm.Block b : w.blocks()) {
            layers.add(new Layer(b.norm1Weight(), b.norm1Bias(), m.of(b.qkv()), new float[3 * c.dim()], null, null, m.of(b.out()),
                    new float[c.dim()], b.gate1(), b.norm2Weight(), b.norm2Bias(), null, m.of(b.fc1()), b.fc1Bias(), m.of(b.fc2()), b.fc2Bias(),
                    b.gate2()));
        }
        return new TransformerSpec("mdlm", c.vocabSize(), c.dim(), c.heads(), c.heads(), c.dim() / c.heads(), 4 * c.dim(),
                MdlmConfig.LAYER_NORM_EPS, false, false, false, c.modelLength(), m.of(w.embedding()), null, w.ropeCos(), w.ropeSin(), layers,
                w.finalNormWeight(), w.finalNormBias(), m.of(w.outputWeight()), w.outputBias());
    }

    /** One array copy per tensor, so a tied embedding and LM head are one device buffer. */
    private static final class Matrices {
        private final Map<Tensor, ArrayMatrix> copies = new IdentityHashMap<>();

        ArrayMatrix of(Tensor t) {
            return copies.computeIfAbsent(t, ArrayMatrix::of);
        }
    }
}
