package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A multi-sequence batch pass is batch invariant: each session's logits equal, bit for bit, those of the same session run
 * alone, for awkward mixes (one-token decode rows next to a 17-row prefill chunk, sessions of different lengths, sessions
 * that want no logits), and the caches it leaves continue exactly like ones built alone.
 */
class BatchPassTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    private static int[] randomTokens(Random r, int count, int vocab) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    private static void checkBatches(String fixture, DType dtype, Kernels kernels) throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder(fixture), new LoadOptions(dtype, kernels))) {
            CausalLanguageModel.BatchPass batch = model.newBatchPass();
            Random r = new Random(41);
            int vocab = model.vocabSize();
            for (int trial = 0; trial < 8; trial++) {
                int n = 1 + r.nextInt(5);
                List<CausalLanguageModel.Session> batched = new ArrayList<>();
                List<CausalLanguageModel.Session> alone = new ArrayList<>();
                try {
                    for (int i = 0; i < n; i++) {
                        int[] prefix = randomTokens(r, 1 + r.nextInt(12), vocab);
                        CausalLanguageModel.Session b = model.newSession(8);
                        CausalLanguageModel.Session a = model.newSession();
                        b.forward(prefix, 0);
                        a.forward(prefix, 0);
                        batched.add(b);
                        alone.add(a);
                    }
                    for (int step = 0; step < 3; step++) {
                        List<int[]> tokens = new ArrayList<>();
                        int[] logitRows = new int[n];
                        for (int i = 0; i < n; i++) {
                            // decode rows (k = 1), verification-sized rows and a 17-row prefill chunk side by side
                            int k = switch ((trial + i + step) % 4) {
                                case 0 -> 1;
                                case 1 -> 17;
                                case 2 -> 2 + r.nextInt(4);
                                default -> 1;
                            };
                            tokens.add(randomTokens(r, k, vocab));
                            logitRows[i] = (i + step) % 5 == 4 ? 0 : 1 + r.nextInt(k);
                        }
                        float[][][] rows = batch.forward(batched, tokens, logitRows);
                        for (int i = 0; i < n; i++) {
                            float[][] expected = alone.get(i).forward(tokens.get(i), logitRows[i]);
                            assertThat(rows[i]).hasNumberOfRows(logitRows[i]);
                            for (int j = 0; j < logitRows[i]; j++) {
                                assertThat(rows[i][j]).as("%s %s %s, trial %d, step %d, session %d of %d (%d rows), row %d", fixture,
                                        dtype, kernels.name(), trial, step, i, n, tokens.get(i).length, j).containsExactly(expected[j]);
                            }
                            assertThat(batched.get(i).length()).isEqualTo(alone.get(i).length());
                        }
                    }
                } finally {
                    batched.forEach(CausalLanguageModel.Session::close);
                    alone.forEach(CausalLanguageModel.Session::close);
                }
            }
        }
    }

    @Test
    void eachSessionGetsTheBitsItGetsAloneWithVectorKernels() throws IOException {
        checkBatches("gpt2-tiny", null, VECTOR);
        checkBatches("gpt2-awkward", null, VECTOR);
    }

    @Test
    void eachSessionGetsTheBitsItGetsAloneWithQuantizedAndHalfWeights() throws IOException {
        checkBatches("gpt2-tiny", DType.Q8_0, VECTOR);
        checkBatches("gpt2-tiny", DType.F16, VECTOR);
    }

    @Test
    void eachSessionGetsTheBitsItGetsAloneWithReferenceKernels() throws IOException {
        checkBatches("gpt2-awkward", null, new ReferenceKernels());
    }

    @Test
    void badBatchesAreRejectedWithAClearMessageAndChangeNothing() throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, VECTOR));
             Gpt2 other = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, VECTOR));
             CausalLanguageModel.Session a = model.newSession();
             CausalLanguageModel.Session b = model.newSession();
             CausalLanguageModel.Session foreign = other.newSession()) {
            CausalLanguageModel.BatchPass batch = model.newBatchPass();
            a.forward(new int[] {1, 2}, 0);
            assertThatThrownBy(() -> batch.forward(List.of(a, a), List.of(new int[] {1}, new int[] {2}), new int[] {1, 1}))
                    .hasMessageContaining("appears twice");
            assertThatThrownBy(() -> batch.forward(List.of(a, foreign), List.of(new int[] {1}, new int[] {2}), new int[] {1, 1}))
                    .hasMessageContaining("not a session of this model");
            assertThatThrownBy(() -> batch.forward(List.of(a, b), List.of(new int[] {1}, new int[] {999}), new int[] {1, 1}))
                    .hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> batch.forward(List.of(a, b), List.of(new int[] {1}, new int[] {2}), new int[] {1}))
                    .hasMessageContaining("one logit count per session");
            assertThatThrownBy(() -> batch.forward(List.of(b, a), List.of(new int[] {1}, new int[63]), new int[] {1, 1}))
                    .isInstanceOf(ContextLimitException.class);
            b.captureFeatures(new int[] {0});
            assertThatThrownBy(() -> batch.forward(List.of(a, b), List.of(new int[] {1}, new int[] {2}), new int[] {1, 1}))
                    .hasMessageContaining("captures hidden states");
            b.captureFeatures(new int[0]);
            assertThat(a.length()).isEqualTo(2);
            assertThat(b.length()).isZero();
            assertThatThrownBy(() -> model.newSession(0)).hasMessageContaining("at least one position");
        }
    }
}
