package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The transformer core against a plain scalar forward pass written here from the equations (HF LlamaForCausalLM /
 * Qwen3ForCausalLM: RMSNorm, GQA attention with rotate-half RoPE, q/k biases, per-head QK-norm, SwiGLU), on random weights
 * at an awkward shape (GQA 6/2 heads, head dim 10 ≠ dim / heads, vocab 37); and its batch invariance.
 */
class TransformerTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
        ARENA.close();
    }

    static TransformerSpec spec(boolean qwen3Like, int kvHeads) {
        RopeSpec rope = RopeSpec.llama3(10, 10000, 8, 1, 4, 16);
        return new TransformerSpec("test", 37, 64, 24, 2, 6, kvHeads, 10, 40, TransformerSpec.Norm.RMS_NORM, 1e-5f, rope,
                !qwen3Like, qwen3Like, TransformerSpec.Mlp.SWIGLU, qwen3Like, 0, -1);
    }

    /** Random weights; norms random too (around 1), so a norm applied to the wrong rows would show. */
    static TransformerWeights weights(TransformerSpec s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = s.dim();
        Tensor embedding = matrix(r, "embedding", s.vocabSize(), d, 1.0);
        List<TransformerWeights.Block> blocks = new ArrayList<>();
        for (int l = 0; l < s.layers(); l++) {
            blocks.add(new TransformerWeights.Block(norm(r, d), null,
                    matrix(r, "wq", s.qDim(), d, 0.3), s.qkvBias() ? vector(r, s.qDim(), 0.1) : null,
                    matrix(r, "wk", s.kvDim(), d, 0.3), s.qkvBias() ? vector(r, s.kvDim(), 0.1) : null,
                    matrix(r, "wv", s.kvDim(), d, 0.3), s.qkvBias() ? vector(r, s.kvDim(), 0.1) : null,
                    s.qkNorm() ? norm(r, s.headDim()) : null, s.qkNorm() ? norm(r, s.headDim()) : null,
                    matrix(r, "wo", d, s.qDim(), 0.3), null, norm(r, d), null,
                    matrix(r, "gate", s.ffnDim(), d, 0.3), matrix(r, "up", s.ffnDim(), d, 0.3), null,
                    matrix(r, "down", d, s.ffnDim(), 0.3), null));
        }
        Tensor head = s.tiedOutput() ? embedding : matrix(r, "head", s.vocabSize(), d, 0.3);
        return new TransformerWeights(embedding, null, blocks, norm(r, d), null, head);
    }

    private static Tensor matrix(SplittableRandom r, String name, int rows, int cols, double scale) {
        return Tensor.of(name, DType.F32, new long[] {rows, cols}, vector(r, rows * cols, scale), ARENA);
    }

    static float[] vector(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return v;
    }

    private static float[] norm(SplittableRandom r, int n) {
        float[] v = vector(r, n, 0.5);
        for (int i = 0; i < n; i++) v[i] += 1;
        return v;
    }

    @Test
    void llamaLikeModelMatchesTheScalarReference() {
        agreesWithReference(spec(false, 2));
    }

    @Test
    void qwen3LikeModelWithQkNormAndTiedHeadMatchesTheScalarReference() {
        agreesWithReference(spec(true, 3));
    }

    @Test
    void multiHeadAndMultiQueryAttentionMatchTheScalarReference() {
        agreesWithReference(spec(false, 6));
        agreesWithReference(spec(false, 1));
    }

    private static void agreesWithReference(TransformerSpec spec) {
        TransformerWeights w = weights(spec, 42);
        int[] tokens = {3, 17, 36, 0, 5, 5, 22, 9, 30, 11, 2};
        double[][] expected = ScalarTransformer.logits(spec, w, tokens);
        for (Kernels kernels : List.of(new ReferenceKernels(), (Kernels) VECTOR)) {
            try (Transformer model = new Transformer(spec, w, kernels, null, null); var session = model.newSession()) {
                float[][] rows = session.forward(Arrays.copyOf(tokens, 4));
                float[][] rest = session.forward(Arrays.copyOfRange(tokens, 4, tokens.length));
                for (int t = 0; t < tokens.length; t++) {
                    float[] got = t < 4 ? rows[t] : rest[t - 4];
                    for (int v = 0; v < spec.vocabSize(); v++) {
                        assertThat((double) got[v]).as("%s kernels, kv heads %d, token %d, logit %d", kernels.name(), spec.kvHeads(), t, v)
                                .isCloseTo(expected[t][v], within(1e-4 * Math.max(1, Math.abs(expected[t][v]))));
                    }
                }
            }
        }
    }

    @Test
    void kvBytesPerPositionCountsTheKeyValueHeadsOnly() {
        TransformerSpec spec = spec(false, 2);
        try (Transformer model = new Transformer(spec, weights(spec, 7), VECTOR, null, null)) {
            // 2 (keys and values) x 2 layers x 2 kv heads x 10 wide x 4 bytes, not the 6 query heads
            assertThat(model.kvBytesPerPosition()).isEqualTo(320);
        }
    }

    @Test
    void aTokensLogitsDoNotDependOnTheBatch() {
        TransformerSpec spec = spec(false, 2);
        int[] tokens = {3, 17, 36, 0, 5, 5, 22, 9, 30, 11, 2, 8, 8, 1};
        try (Transformer model = new Transformer(spec, weights(spec, 7), VECTOR, null, null)) {
            float[][] oneByOne = new float[tokens.length][];
            try (var s = model.newSession()) {
                for (int t = 0; t < tokens.length; t++) oneByOne[t] = s.forwardLast(new int[] {tokens[t]});
            }
            try (var s = model.newSession()) {
                float[][] prompt = s.forward(Arrays.copyOf(tokens, 5));
                float[][] verify = s.forward(Arrays.copyOfRange(tokens, 5, tokens.length));
                for (int t = 0; t < tokens.length; t++) {
                    assertThat(t < 5 ? prompt[t] : verify[t - 5]).as("token %d", t).containsExactly(oneByOne[t]);
                }
                // roll back a rejected draft and recompute: the same bits again
                s.truncate(8);
                float[][] again = s.forward(Arrays.copyOfRange(tokens, 8, tokens.length));
                for (int t = 8; t < tokens.length; t++) assertThat(again[t - 8]).as("after truncate, token %d", t).containsExactly(oneByOne[t]);
            }
        }
    }

    @Test
    void aTreeNodeHasTheLogitsOfItsPathAppendedLinearly() {
        TransformerSpec spec = spec(true, 3);
        try (Transformer model = new Transformer(spec, weights(spec, 9), VECTOR, null, null)) {
            int[] prefix = {4, 8, 15};
            // node 0 -> 1 -> 3, node 0 -> 2
            int[] tree = {16, 23, 42 % 37, 1};
            int[] parents = {-1, 0, 0, 1};
            float[][] treeRows;
            try (var s = model.newSession()) {
                s.forward(prefix);
                treeRows = s.forwardTree(tree, parents);
                s.keepTreePath(prefix.length, new int[] {0, 2});
                float[] afterKeep = s.forwardLast(new int[] {5});
                try (var linear = model.newSession()) {
                    linear.forward(prefix);
                    float[][] path = linear.forward(new int[] {16, 42 % 37, 5});
                    assertThat(treeRows[2]).containsExactly(path[1]);
                    assertThat(afterKeep).as("the cache after keepTreePath").containsExactly(path[2]);
                }
            }
            try (var linear = model.newSession()) {
                linear.forward(prefix);
                float[][] path = linear.forward(new int[] {16, 23, 1});
                assertThat(treeRows[0]).containsExactly(path[0]);
                assertThat(treeRows[1]).containsExactly(path[1]);
                assertThat(treeRows[3]).containsExactly(path[2]);
            }
        }
    }

    @Test
    void badShapesAreRefusedWithTheReason() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TransformerSpec("x", 10, 8, 16, 1, 6, 4, 4, 8,
                TransformerSpec.Norm.RMS_NORM, 1e-5f, null, false, false, TransformerSpec.Mlp.SWIGLU, true, 0, -1))
                .hasMessageContaining("6 attention heads cannot be shared among 4 key/value heads");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TransformerSpec("x", 10, 8, 16, 1, 4, 4, 4, 8,
                TransformerSpec.Norm.RMS_NORM, 1e-5f, RopeSpec.of(2, 10000), false, false, TransformerSpec.Mlp.SWIGLU, true, 0, -1))
                .hasMessageContaining("partial rotary embedding");
    }

    @Test
    void aSlidingWindowCapsTheContext() {
        TransformerSpec s = new TransformerSpec("mistral", 10, 32768, 16, 1, 4, 4, 4, 8, TransformerSpec.Norm.RMS_NORM, 1e-5f, null,
                false, false, TransformerSpec.Mlp.SWIGLU, true, 4096, -1);
        assertThat(s.contextLength()).isEqualTo(4096);
    }

    @Test
    void llama3RopeScalingKeepsHighFrequenciesAndDividesLowOnes() {
        // Llama 3.1's values: θ 500000, factor 8, low 1, high 4, original context 8192, head dim 128
        double[] scaled = RopeSpec.llama3(128, 500000, 8, 1, 4, 8192).inverseFrequency();
        double[] plain = RopeSpec.of(128, 500000).inverseFrequency();
        assertThat(scaled[0]).isEqualTo(1.0);                           // wavelength 2π: kept
        assertThat(scaled[63]).isCloseTo(plain[63] / 8, within(1e-15));  // wavelength ≈ 1.6M > 8192: divided by 8
        int between = 0;
        for (int i = 0; i < 64; i++) if (scaled[i] < plain[i] && scaled[i] > plain[i] / 8) between++;
        assertThat(between).as("frequencies interpolated between the two regimes").isPositive();
    }
}
