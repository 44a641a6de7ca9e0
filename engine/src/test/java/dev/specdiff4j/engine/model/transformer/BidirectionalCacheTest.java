package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The core in its bidirectional configuration (what the MDLM DiT uses), with residual gates and an LM-head bias, against
 * the scalar oracle; its block cache; and the two attention kinds keeping to their own entry points.
 */
class BidirectionalCacheTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    /** The GQA test shape of {@link TransformerTest}, attending bidirectionally. */
    private static TransformerSpec bidirectional() {
        TransformerSpec c = TransformerTest.spec(false, 2);
        return new TransformerSpec("bidirectional", c.vocabSize(), c.contextLength(), c.dim(), c.layers(), c.heads(), c.kvHeads(),
                c.headDim(), c.ffnDim(), c.norm(), c.normEps(), c.rope(), c.qkvBias(), c.qkNorm(), c.mlp(), c.tiedOutput(),
                c.slidingWindow(), c.eosTokenId(), TransformerSpec.Attention.BIDIRECTIONAL);
    }

    /** Random weights with random residual gates and LM-head bias. */
    private static TransformerWeights gatedWeights(TransformerSpec s, long seed) {
        TransformerWeights w = TransformerTest.weights(s, seed);
        SplittableRandom r = new SplittableRandom(seed + 1);
        List<TransformerWeights.Block> blocks = new ArrayList<>();
        for (TransformerWeights.Block b : w.blocks()) {
            blocks.add(b.withResidualGates(TransformerTest.vector(r, s.dim(), 1.5), TransformerTest.vector(r, s.dim(), 1.5)));
        }
        return new TransformerWeights(w.tokenEmbedding(), null, blocks, w.finalNorm(), null, w.lmHead(),
                TransformerTest.vector(r, s.vocabSize(), 2.0));
    }

    @Test
    void aFullPassMatchesTheScalarReference() {
        TransformerSpec spec = bidirectional();
        TransformerWeights w = gatedWeights(spec, 42);
        int[] tokens = {3, 17, 36, 0, 5, 5, 22, 9, 30, 11, 2};
        double[][] expected = ScalarTransformer.logits(spec, w, tokens);
        for (Kernels kernels : List.of(new ReferenceKernels(), (Kernels) VECTOR)) {
            try (Transformer model = new Transformer(spec, w, kernels, null, null)) {
                float[][] rows = model.newBidirectionalCache(tokens.length).full(tokens, 0, tokens.length);
                for (int t = 0; t < tokens.length; t++) {
                    for (int v = 0; v < spec.vocabSize(); v++) {
                        assertThat((double) rows[t][v]).as("%s kernels, token %d, logit %d", kernels.name(), t, v)
                                .isCloseTo(expected[t][v], within(1e-4 * Math.max(1, Math.abs(expected[t][v]))));
                    }
                }
            }
        }
    }

    @Test
    void refreshingABlockRecomputesItAgainstTheCachedKeysOfTheOthers() {
        TransformerSpec spec = bidirectional();
        int[] tokens = {3, 17, 36, 0, 5, 5, 22, 9, 30, 11, 2, 8};
        try (Transformer model = new Transformer(spec, gatedWeights(spec, 7), VECTOR, null, null)) {
            BidirectionalCache cache = model.newBidirectionalCache(tokens.length);
            float[][] full = cache.full(tokens, 0, tokens.length);
            assertThat(cache.full(tokens, 4, 3)).as("rows 4..6 only").isEqualTo(Arrays.copyOfRange(full, 4, 7));
            float[][] unchanged = cache.refresh(5, Arrays.copyOfRange(tokens, 5, 9));
            for (int t = 0; t < 4; t++) assertThat(unchanged[t]).as("unchanged block row %d", t).containsExactly(full[5 + t]);

            // a changed block, then the original tokens again: the others' cached keys are still those of the full pass
            float[][] changed = cache.refresh(0, new int[] {1, 2, 3});
            assertThat(changed[2]).as("new tokens, new logits").isNotEqualTo(full[2]);
            float[][] restored = cache.refresh(0, Arrays.copyOf(tokens, 3));
            for (int t = 0; t < 3; t++) assertThat(restored[t]).as("restored block row %d", t).containsExactly(full[t]);

            // the first row sees the last token
            int[] lastChanged = tokens.clone();
            lastChanged[tokens.length - 1] = 20;
            assertThat(model.newBidirectionalCache(tokens.length).full(lastChanged, 0, 1)[0]).isNotEqualTo(full[0]);
        }
    }

    @Test
    void eachAttentionKindKeepsToItsOwnEntryPoints() {
        TransformerSpec spec = bidirectional();
        try (Transformer model = new Transformer(spec, gatedWeights(spec, 1), VECTOR, null, null)) {
            assertThatThrownBy(model::newSession).hasMessageContaining("attends bidirectionally");
            assertThatThrownBy(model::newBatchPass).hasMessageContaining("attends bidirectionally");
            assertThatThrownBy(() -> model.newBidirectionalCache(65)).hasMessageContaining("context of 64");
            BidirectionalCache cache = model.newBidirectionalCache(4);
            assertThatThrownBy(() -> cache.refresh(0, new int[] {1})).hasMessageContaining("full pass first");
            assertThatThrownBy(() -> cache.full(new int[] {1, 2, 3}, 0, 3)).hasMessageContaining("holds 4 positions");
            assertThatThrownBy(() -> cache.full(new int[] {1, 2, 3, 37}, 0, 1)).hasMessageContaining("token id 37");
            assertThatThrownBy(() -> cache.full(new int[] {1, 2, 3, 4}, 2, 3)).hasMessageContaining("logit rows outside");
        }
        TransformerSpec causal = TransformerTest.spec(false, 2);
        try (Transformer model = new Transformer(causal, TransformerTest.weights(causal, 1), VECTOR, null, null)) {
            assertThatThrownBy(() -> model.newBidirectionalCache(4)).hasMessageContaining("attends causally");
        }
    }
}
