package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GPT-2 against the PyTorch reference (weights-tools/python/models.py) on random-weight checkpoints in
 * the HF layout. Bounds, as max |ours − torch| / max |torch| per logits row: F32 1e-4; weights converted
 * at load time: F16 1e-2, BF16 5e-2, Q8_0 5e-2 (quantization error, not arithmetic).
 */
class Gpt2ReferenceTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    private static Gpt2 load(String fixture, DType dtype, Kernels kernels) throws IOException {
        return Gpt2.load(Fixtures.folder(fixture), new LoadOptions(dtype, kernels));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "gpt2-awkward"})
    void f32LogitsMatchPyTorch(String fixture) throws IOException {
        Map<String, Object> expected = Fixtures.expected(fixture);
        int[] tokens = Fixtures.ints(expected, "tokens");
        float[][] want = Fixtures.logits(fixture);
        for (Kernels kernels : new Kernels[] {VECTOR, new ReferenceKernels()}) {
            try (Gpt2 model = load(fixture, null, kernels); var session = model.newSession()) {
                float[][] got = session.forward(tokens);
                assertThat(got).hasNumberOfRows(tokens.length);
                for (int t = 0; t < tokens.length; t++) {
                    assertThat(Fixtures.relativeError(got[t], want[t])).as("%s %s row %d", fixture, kernels.name(), t).isLessThan(1e-4);
                    assertThat(Fixtures.argmax(got[t])).isEqualTo(Fixtures.argmax(want[t]));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "gpt2-awkward"})
    void greedyContinuationMatchesPyTorch(String fixture) throws IOException {
        Map<String, Object> expected = Fixtures.expected(fixture);
        int[] tokens = Fixtures.ints(expected, "tokens");
        int[] greedy = Fixtures.ints(expected, "greedy");
        try (Gpt2 model = load(fixture, null, VECTOR); var session = model.newSession()) {
            float[] logits = session.forwardLast(tokens);
            int[] got = new int[greedy.length];
            for (int i = 0; i < greedy.length; i++) {
                got[i] = Fixtures.argmax(logits);
                logits = session.forwardLast(new int[] {got[i]});
            }
            assertThat(got).containsExactly(greedy);
        }
    }

    @ParameterizedTest
    @CsvSource({"F16, 1e-2", "BF16, 5e-2", "Q8_0, 5e-2"})
    void convertedWeightsStayClose(DType dtype, double bound) throws IOException {
        String fixture = "gpt2-tiny";
        int[] tokens = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        float[][] want = Fixtures.logits(fixture);
        try (Gpt2 model = load(fixture, dtype, VECTOR); var session = model.newSession()) {
            assertThat(model.describe()).contains(dtype.displayName() + " weights");
            float[][] got = session.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                assertThat(Fixtures.relativeError(got[t], want[t])).as("%s row %d", dtype, t).isLessThan(bound);
            }
        }
    }

    @Test
    void kQuantsNeedRowsOfWholeSuperBlocks() {
        // gpt2-tiny is 64 wide: whole 32-blocks, but not 256-value super-blocks
        assertThatThrownBy(() -> load("gpt2-tiny", DType.Q4_K, VECTOR)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("q4_k").hasMessageContaining("blocks of 256");
    }

    @Test
    void q8NeedsRowsOfWholeBlocks() {
        assertThatThrownBy(() -> load("gpt2-awkward", DType.Q8_0, VECTOR)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("q8_0").hasMessageContaining("blocks of 32");
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "Q8_0", "Q4_0", "Q5_1"})
    void batchedForwardEqualsTokenByTokenBitForBit(DType dtype) throws IOException {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 model = load("gpt2-tiny", dtype, VECTOR); var batched = model.newSession(); var single = model.newSession()) {
            float[][] all = batched.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                float[] one = single.forwardLast(new int[] {tokens[t]});
                assertThat(one).as("position %d", t).containsExactly(all[t]);
            }
            // a verify-style pass after a prefix: prefix of 4 then 7 at once
            try (var split = model.newSession()) {
                split.forward(Arrays.copyOf(tokens, 4), 0);
                float[][] rest = split.forward(Arrays.copyOfRange(tokens, 4, tokens.length));
                for (int t = 4; t < tokens.length; t++) assertThat(rest[t - 4]).containsExactly(all[t]);
            }
        }
    }

    @Test
    void truncateRollsBack() throws IOException {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 model = load("gpt2-tiny", null, VECTOR); var session = model.newSession()) {
            float[][] reference = session.forward(tokens);
            session.truncate(3);
            assertThat(session.length()).isEqualTo(3);
            session.forward(new int[] {7, 8}, 0); // rejected draft
            session.truncate(3);
            float[][] again = session.forward(Arrays.copyOfRange(tokens, 3, tokens.length));
            for (int t = 3; t < tokens.length; t++) assertThat(again[t - 3]).containsExactly(reference[t]);
            assertThatThrownBy(() -> session.truncate(100)).hasMessageContaining("cannot truncate");
        }
    }

    @Test
    void contextLimitIsAClearError() throws IOException {
        try (Gpt2 model = load("gpt2-awkward", null, VECTOR); var session = model.newSession()) {
            session.forward(new int[47], 0);
            session.forward(new int[1], 1);
            assertThatThrownBy(() -> session.forward(new int[1], 1)).isInstanceOf(ContextLimitException.class)
                    .hasMessage("49 tokens do not fit in the model's context of 48 tokens");
        }
        try (Gpt2 model = load("gpt2-awkward", null, VECTOR); var session = model.newSession()) {
            assertThatThrownBy(() -> session.forward(new int[] {257}, 1)).hasMessageContaining("outside the vocabulary");
            assertThat(session.length()).isZero();
        }
    }

    @Test
    void describesItself() throws IOException {
        try (Gpt2 model = load("gpt2-tiny", null, VECTOR)) {
            assertThat(model.describe()).contains("GPT-2 2 layers x 64").contains("f32 weights").contains("vector");
            assertThat(model.config().parameters()).isEqualTo(expectedParameters(model.config()));
        }
    }

    private static long expectedParameters(Gpt2Config c) {
        // counted the way PyTorch's sum(p.numel()) counts GPT2 (tied head once)
        long d = c.dim();
        long perLayer = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * c.ffnDim() + c.ffnDim()) + (c.ffnDim() * d + d);
        return c.vocabSize() * d + c.contextLength() * d + c.layers() * perLayer + 2 * d;
    }
}
