package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GPT-2 through the transformer core computes what the hand-written GPT-2 loop computed, bit for bit: the loop is kept
 * here ({@link #legacyLogits}: fused q|k|v matmul, causal attention, GELU MLP, final LayerNorm, tied head, every step a
 * {@link Kernels} call in the old order) and every path of the core (prompt pass, decoding step by step, a multi-session
 * batch pass, a token tree with its lazy LM head, captured hidden states) must give its exact floats.
 */
class Gpt2CoreEquivalenceTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    /** The pre-core GPT-2 forward pass over a whole sequence from position 0: logits of every row, and the stream after each block. */
    private static float[][] legacyLogits(Gpt2 model, int[] tokens, float[][] streams) {
        Gpt2Config c = model.config();
        Gpt2.Weights w = model.weights();
        Kernels kernels = model.kernels();
        int k = tokens.length;
        int d = c.dim();
        int[] positions = new int[k];
        for (int t = 0; t < k; t++) positions[t] = t;
        float[] x = new float[k * d];
        float[] pos = new float[k * d];
        float[] h = new float[k * d];
        float[] qkv = new float[k * 3 * d];
        float[] q = new float[k * d];
        float[] keys = new float[k * d];
        float[] values = new float[k * d];
        float[] attn = new float[k * d];
        float[] out = new float[k * d];
        float[] ffn = new float[k * c.ffnDim()];
        kernels.embedding(w.tokenEmbedding(), tokens, x);
        kernels.embedding(w.positionEmbedding(), positions, pos);
        kernels.residualAdd(x, pos, null, k, d);
        for (int l = 0; l < c.layers(); l++) {
            Gpt2.Layer layer = w.layers().get(l);
            kernels.layerNorm(x, k, d, layer.ln1Weight(), layer.ln1Bias(), c.layerNormEps(), h);
            kernels.matmul(h, k, layer.qkv(), layer.qkvBias(), qkv);
            for (int t = 0; t < k; t++) {
                System.arraycopy(qkv, t * 3 * d, q, t * d, d);
                System.arraycopy(qkv, t * 3 * d + d, keys, t * d, d);
                System.arraycopy(qkv, t * 3 * d + 2 * d, values, t * d, d);
            }
            kernels.attention(q, k, keys, values, k, 0, true, c.heads(), c.headDim(), attn);
            kernels.matmul(attn, k, layer.proj(), layer.projBias(), out);
            kernels.residualAdd(x, out, null, k, d);
            kernels.layerNorm(x, k, d, layer.ln2Weight(), layer.ln2Bias(), c.layerNormEps(), h);
            kernels.matmul(h, k, layer.fc(), layer.fcBias(), ffn);
            kernels.geluTanh(ffn, k * c.ffnDim());
            kernels.matmul(ffn, k, layer.fcProj(), layer.fcProjBias(), out);
            kernels.residualAdd(x, out, null, k, d);
            if (streams != null) streams[l] = x.clone();
        }
        float[] last = x.clone();
        kernels.layerNorm(last, k, d, w.lnFinalWeight(), w.lnFinalBias(), c.layerNormEps(), last);
        float[] logits = new float[k * c.vocabSize()];
        kernels.matmul(last, k, w.lmHead(), null, logits);
        float[][] rows = new float[k][];
        for (int t = 0; t < k; t++) rows[t] = Arrays.copyOfRange(logits, t * c.vocabSize(), (t + 1) * c.vocabSize());
        return rows;
    }

    private static int[] randomTokens(Random r, int count, int vocab) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    private static void check(String fixture, DType dtype, Kernels kernels) throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder(fixture), new LoadOptions(dtype, kernels))) {
            Transformer core = model.core();
            assertThat(core.spec().layers()).isEqualTo(model.config().layers());
            Random r = new Random(19);
            int vocab = model.vocabSize();
            for (CausalLanguageModel m : List.of(core, model)) {
                int[] tokens = randomTokens(r, 13, vocab);
                float[][] expected = legacyLogits(model, tokens, null);

                try (CausalLanguageModel.Session s = m.newSession()) {
                    float[][] all = s.forward(tokens, tokens.length);
                    for (int t = 0; t < tokens.length; t++) assertThat(all[t]).as("prompt row %d", t).isEqualTo(expected[t]);
                }
                try (CausalLanguageModel.Session s = m.newSession(4)) {
                    s.forward(Arrays.copyOf(tokens, 5), 0);
                    for (int t = 5; t < tokens.length; t++) {
                        assertThat(s.forward(new int[] {tokens[t]}, 1)[0]).as("decode step %d", t).isEqualTo(expected[t]);
                    }
                }

                // two sessions of different lengths in one batch pass
                int[] other = randomTokens(r, 6, vocab);
                float[][] otherExpected = legacyLogits(model, other, null);
                try (CausalLanguageModel.Session a = m.newSession(); CausalLanguageModel.Session b = m.newSession()) {
                    a.forward(Arrays.copyOf(tokens, 9), 0);
                    float[][][] rows = m.newBatchPass().forward(List.of(a, b),
                            List.of(Arrays.copyOfRange(tokens, 9, 13), other), new int[] {4, 2});
                    for (int t = 0; t < 4; t++) assertThat(rows[0][t]).as("batch row %d", 9 + t).isEqualTo(expected[9 + t]);
                    assertThat(rows[1][0]).isEqualTo(otherExpected[4]);
                    assertThat(rows[1][1]).isEqualTo(otherExpected[5]);
                }

                // a tree after a 6-token prefix: 0 ─ 1 ─ 2, 0 ─ 3 ─ 4; node 4's path is the sequence tokens[6..8]
                int[] prefix = Arrays.copyOf(tokens, 6);
                int[] treeTokens = {tokens[6], 7 % vocab, 11 % vocab, tokens[7], tokens[8]};
                int[] parents = {-1, 0, 1, 0, 3};
                int[] branch = {tokens[6], 7 % vocab, 11 % vocab};
                float[][] branchExpected = legacyLogits(model, concat(prefix, branch), null);
                try (CausalLanguageModel.Session s = m.newSession()) {
                    s.forward(prefix, 0);
                    CausalLanguageModel.TreeLogits lazy = s.forwardTreeLazily(treeTokens, parents);
                    assertThat(lazy.row(3)).isEqualTo(expected[7]);
                    assertThat(lazy.row(1)).isEqualTo(branchExpected[7]);
                    assertThat(lazy.row(0)).isEqualTo(expected[6]);
                    assertThat(lazy.row(4)).isEqualTo(expected[8]);
                    assertThat(lazy.row(2)).isEqualTo(branchExpected[8]);
                }

                // hidden states after chosen blocks
                int lastBlock = model.config().layers() - 1;
                float[][] streams = new float[model.config().layers()][];
                legacyLogits(model, tokens, streams);
                try (CausalLanguageModel.Session s = m.newSession()) {
                    s.captureFeatures(new int[] {lastBlock, 0});
                    s.forward(tokens, 1);
                    float[] features = s.features();
                    int d = model.config().dim();
                    for (int t = 0; t < tokens.length; t++) {
                        assertThat(Arrays.copyOfRange(features, (2 * t) * d, (2 * t + 1) * d))
                                .isEqualTo(Arrays.copyOfRange(streams[lastBlock], t * d, (t + 1) * d));
                        assertThat(Arrays.copyOfRange(features, (2 * t + 1) * d, (2 * t + 2) * d))
                                .isEqualTo(Arrays.copyOfRange(streams[0], t * d, (t + 1) * d));
                    }
                }
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void vectorKernelsF32() throws IOException {
        check("gpt2-tiny", null, VECTOR);
        check("gpt2-awkward", null, VECTOR);
    }

    @Test
    void vectorKernelsF16AndQ8() throws IOException {
        check("gpt2-tiny", DType.F16, VECTOR);
        check("gpt2-tiny", DType.Q8_0, VECTOR);
    }

    @Test
    void referenceKernels() throws IOException {
        check("gpt2-awkward", null, new ReferenceKernels());
    }
}
