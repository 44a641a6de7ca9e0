package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.MdlmConfig;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.tornado.ArrayMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pre-LN transformer in the arrays the kernels read: what GPT-2 and the MDLM DiT have in common. Missing biases
 * are zeros and missing gates ones, so one graph serves both.
 *
 * @param positionTable learned position embeddings [positions, dim] (GPT-2), or null
 * @param ropeCos       rotary tables [positions][headDim/2] (MDLM), or null
 * @param vocab         logits per row
 * @param positions     positions the model knows: its context or model length
 */
record TransformerSpec(String name, int vocab, int dim, int heads, int ffn, float eps, boolean causal, int positions,
                       ArrayMatrix tokenEmbedding, float[] positionTable, float[] ropeCos, float[] ropeSin,
                       List<Layer> layers, float[] finalNormWeight, float[] finalNormBias, ArrayMatrix head, float[] headBias) {

    record Layer(float[] norm1Weight, float[] norm1Bias, ArrayMatrix qkv, float[] qkvBias, ArrayMatrix out, float[] outBias,
                 float[] gate1, float[] norm2Weight, float[] norm2Bias, ArrayMatrix fc1, float[] fc1Bias, ArrayMatrix fc2,
                 float[] fc2Bias, float[] gate2) {
    }

    int headDim() {
        return dim / heads;
    }

    /**
     * The device form of a core transformer; the device graph runs the GPT-2 configuration of the core (LayerNorm, learned
     * positions, multi-head attention with one fused q|k|v matrix, GELU MLP), anything else is refused naming the part.
     */
    static TransformerSpec of(dev.specdiff4j.engine.model.transformer.TransformerSpec spec, TransformerWeights w) {
        String unsupported = unsupported(spec, w);
        if (unsupported != null) {
            throw new IllegalArgumentException("the TornadoVM backend cannot run this " + spec.family() + " model: " + unsupported);
        }
        Matrices m = new Matrices();
        int d = spec.dim();
        float[] ones = new float[d];
        Arrays.fill(ones, 1f);
        List<Layer> layers = new ArrayList<>();
        for (TransformerWeights.Block b : w.blocks()) {
            layers.add(new Layer(b.attentionNorm(), b.attentionNormBias(), m.of(b.wqkv()), orZeros(b.qkvBias(), 3 * d), m.of(b.wo()),
                    orZeros(b.oBias(), d), orOnes(b.attentionGate(), ones), b.mlpNorm(), b.mlpNormBias(), m.of(b.up()),
                    orZeros(b.upBias(), spec.ffnDim()), m.of(b.down()), orZeros(b.downBias(), d), orOnes(b.mlpGate(), ones)));
        }
        return new TransformerSpec(spec.family(), spec.vocabSize(), d, spec.heads(), spec.ffnDim(), spec.normEps(), true,
                spec.contextLength(), m.of(w.tokenEmbedding()), w.positionEmbedding().toFloatArray(), null, null, layers, w.finalNorm(),
                w.finalNormBias(), m.of(w.lmHead()), orZeros(w.lmHeadBias(), spec.vocabSize()));
    }

    /** Why the device graph cannot run a core spec, or null when it can. */
    static String unsupported(dev.specdiff4j.engine.model.transformer.TransformerSpec spec, TransformerWeights w) {
        if (spec.attention() != dev.specdiff4j.engine.model.transformer.TransformerSpec.Attention.CAUSAL) {
            return "bidirectional attention (causal sessions only; the MDLM has its own device passes)";
        }
        if (spec.norm() != dev.specdiff4j.engine.model.transformer.TransformerSpec.Norm.LAYER_NORM) return spec.norm() + " (LayerNorm only)";
        if (spec.rope() != null || w.positionEmbedding() == null) return "rotary positions (learned position embeddings only)";
        if (spec.kvHeads() != spec.heads()) return "grouped key/value heads " + spec.heads() + "/" + spec.kvHeads() + " (multi-head only)";
        if (spec.heads() * spec.headDim() != spec.dim()) return "head dimension " + spec.headDim() + " x " + spec.heads() + " heads != " + spec.dim();
        if (spec.qkNorm()) return "QK-norm";
        if (spec.mlp() != dev.specdiff4j.engine.model.transformer.TransformerSpec.Mlp.GELU_TANH) return spec.mlp() + " MLP (GELU only)";
        for (TransformerWeights.Block b : w.blocks()) {
            if (b.wqkv() == null) return "separate q/k/v matrices (one fused q|k|v matrix only)";
        }
        return null;
    }

    private static float[] orZeros(float[] v, int n) {
        return v != null ? v : new float[n];
    }

    private static float[] orOnes(float[] gate, float[] ones) {
        return gate != null ? gate : ones;
    }

    static TransformerSpec of(MaskedDiffusionLm model) {
        MdlmConfig c = model.config();
        MaskedDiffusionLm.Weights w = model.weights();
        Matrices m = new Matrices();
        List<Layer> layers = new ArrayList<>();
        for (MaskedDiffusionLm.Block b : w.blocks()) {
            layers.add(new Layer(b.norm1Weight(), b.norm1Bias(), m.of(b.qkv()), new float[3 * c.dim()], m.of(b.out()), new float[c.dim()],
                    b.gate1(), b.norm2Weight(), b.norm2Bias(), m.of(b.fc1()), b.fc1Bias(), m.of(b.fc2()), b.fc2Bias(), b.gate2()));
        }
        return new TransformerSpec("mdlm", c.vocabSize(), c.dim(), c.heads(), 4 * c.dim(), MdlmConfig.LAYER_NORM_EPS, false, c.modelLength(),
                m.of(w.embedding()), null, w.ropeCos(), w.ropeSin(), layers, w.finalNormWeight(), w.finalNormBias(), m.of(w.outputWeight()),
                w.outputBias());
    }

    /** One array copy per tensor, so a tied embedding and LM head are one device buffer. */
    private static final class Matrices {
        private final Map<Tensor, ArrayMatrix> copies = new IdentityHashMap<>();

        ArrayMatrix of(Tensor t) {
            return copies.computeIfAbsent(t, ArrayMatrix::of);
        }
    }
}
