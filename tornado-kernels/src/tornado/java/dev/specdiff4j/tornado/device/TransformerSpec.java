package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.Gpt2Config;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.MdlmConfig;
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

    static TransformerSpec of(Gpt2 model) {
        Gpt2Config c = model.config();
        Gpt2.Weights w = model.weights();
        Matrices m = new Matrices();
        float[] ones = new float[c.dim()];
        Arrays.fill(ones, 1f);
        List<Layer> layers = new ArrayList<>();
        for (Gpt2.Layer l : w.layers()) {
            layers.add(new Layer(l.ln1Weight(), l.ln1Bias(), m.of(l.qkv()), l.qkvBias(), m.of(l.proj()), l.projBias(), ones,
                    l.ln2Weight(), l.ln2Bias(), m.of(l.fc()), l.fcBias(), m.of(l.fcProj()), l.fcProjBias(), ones));
        }
        return new TransformerSpec("gpt2", c.vocabSize(), c.dim(), c.heads(), c.ffnDim(), c.layerNormEps(), true, c.contextLength(),
                m.of(w.tokenEmbedding()), w.positionEmbedding().toFloatArray(), null, null, layers, w.lnFinalWeight(), w.lnFinalBias(),
                m.of(w.lmHead()), new float[c.vocabSize()]);
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
