package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The models computed entirely with {@link LoopKernels} against the PyTorch fixtures, with the bounds of the
 * engine's reference tests: F32 1e-4 of the row's largest logit; weights converted at load time F16 1e-2,
 * BF16 and Q8_0 5e-2.
 */
class LoopKernelsModelTest {
    private final LoopKernels kernels = new LoopKernels();

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "gpt2-awkward"})
    void gpt2LogitsAndGreedyContinuationMatchPyTorch(String fixture) throws IOException {
        var expected = Fixtures.expected(fixture);
        int[] tokens = Fixtures.ints(expected, "tokens");
        int[] greedy = Fixtures.ints(expected, "greedy");
        float[][] want = Fixtures.logits(fixture);
        try (Gpt2 model = Gpt2.load(Fixtures.folder(fixture), new LoadOptions(null, kernels)); var session = model.newSession()) {
            assertThat(model.describe()).contains("loop");
            float[][] got = session.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                assertThat(Fixtures.relativeError(got[t], want[t])).as("%s row %d", fixture, t).isLessThan(1e-4);
            }
            float[] logits = got[tokens.length - 1];
            for (int i = 0; i < greedy.length; i++) {
                int next = Fixtures.argmax(logits);
                assertThat(next).as("greedy token %d", i).isEqualTo(greedy[i]);
                logits = session.forwardLast(new int[] {next});
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"F16, 1e-2", "BF16, 5e-2", "Q8_0, 5e-2"})
    void gpt2WithConvertedWeightsStaysClose(DType dtype, double bound) throws IOException {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        float[][] want = Fixtures.logits("gpt2-tiny");
        try (Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(dtype, kernels)); var session = model.newSession()) {
            float[][] got = session.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                assertThat(Fixtures.relativeError(got[t], want[t])).as("%s row %d", dtype, t).isLessThan(bound);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mdlm-tiny", "mdlm-awkward"})
    void mdlmLogitsMatchPyTorch(String fixture) throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        float[][] want = Fixtures.logits(fixture);
        try (MaskedDiffusionLm model = MaskedDiffusionLm.load(Fixtures.folder(fixture), new LoadOptions(null, kernels))) {
            float[][] got = model.forward(ids, 0, ids.length);
            for (int t = 0; t < ids.length; t++) {
                assertThat(Fixtures.relativeError(got[t], want[t])).as("%s row %d", fixture, t).isLessThan(1e-4);
            }
        }
    }

    /** Llama-family fixtures (RMSNorm, SwiGLU, RoPE with Llama 3 and YaRN scaling, GQA, QKV bias, QK-norm, phi3's fused matrices). */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2-yarn", "qwen3-yarn", "llama3-scaled", "phi3-tiny"})
    void llamaFamilyLogitsMatchPyTorch(String fixture) throws IOException {
        int[] tokens = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        float[][] want = Fixtures.logits(fixture);
        try (Transformer model = TransformerLoader.load(Fixtures.folder(fixture), new LoadOptions(null, kernels)); var session = model.newSession()) {
            float[][] got = session.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                assertThat(Fixtures.relativeError(got[t], want[t])).as("%s row %d", fixture, t).isLessThan(1e-4);
            }
        }
    }

    @Test
    void badTokenIdsAreRejected() throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, kernels))) {
            assertThatThrownBy(() -> kernels.embedding(model.weights().tokenEmbedding(), new int[] {-1}, new float[64]))
                    .hasMessageContaining("token id -1");
        }
    }
}
