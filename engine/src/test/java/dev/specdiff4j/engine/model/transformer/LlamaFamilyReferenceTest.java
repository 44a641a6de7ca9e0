package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RoPE scalings and phi3 against the PyTorch reference (weights-tools/python/llama_family.py, written from HF's modelling
 * equations; fixtures by llama_family_fixtures.py): YaRN as Qwen 2.5 and Qwen 3 long-context configs set it (frequency ramp
 * and attention factor) and Llama 3's, over an 80-token prompt, longer than the scaling's original 64-token context; phi3 with
 * its fused qkv_proj and gate_up_proj. Both kernel sets, every row within 1e-4 of the largest reference logit (F32).
 */
class LlamaFamilyReferenceTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-yarn", "qwen3-yarn", "llama3-scaled", "phi3-tiny"})
    void logitsMatchThePyTorchReference(String fixture) throws IOException {
        int[] tokens = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        float[][] expected = Fixtures.logits(fixture);
        for (Kernels kernels : List.of(new ReferenceKernels(), (Kernels) VECTOR)) {
            try (Transformer model = TransformerLoader.load(Fixtures.folder(fixture), new LoadOptions(null, kernels));
                 var session = model.newSession()) {
                float[][] logits = session.forward(tokens);
                for (int t = 0; t < tokens.length; t++) {
                    assertThat(Fixtures.relativeError(logits[t], expected[t])).as("%s, %s, position %d", fixture, kernels, t).isLessThan(1e-4);
                }
            }
        }
    }

    @Test
    void yarnsAttentionFactorAndFrequenciesMatter(@TempDir Path dir) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("qwen2-plain"));
        Path source = Fixtures.folder("qwen2-yarn");
        Files.copy(source.resolve("model.safetensors"), copy.resolve("model.safetensors"));
        String config = Files.readString(source.resolve("config.json"), StandardCharsets.UTF_8);
        String factor = config.replace("\"original_max_position_embeddings\": 64", "\"original_max_position_embeddings\": 64, \"attention_factor\": 1.0");
        assertThat(factor).isNotEqualTo(config);
        int[] tokens = Fixtures.ints(Fixtures.expected("qwen2-yarn"), "tokens");
        float[][] expected = Fixtures.logits("qwen2-yarn");
        Files.writeString(copy.resolve("config.json"), factor, StandardCharsets.UTF_8);
        assertThat(worstError(copy, tokens, expected)).as("YaRN without its attention factor").isGreaterThan(1e-2);
        Files.writeString(copy.resolve("config.json"), config.replaceAll(",\\s*\"rope_scaling\": \\{[^}]*}", ""), StandardCharsets.UTF_8);
        assertThat(Files.readString(copy.resolve("config.json"))).doesNotContain("yarn");
        assertThat(worstError(copy, tokens, expected)).as("plain RoPE").isGreaterThan(1e-2);
    }

    @Test
    void yarnFrequenciesKeepTheFastPairsAndInterpolateTheSlowOnes() {
        RopeSpec plain = RopeSpec.of(32, 10000);
        RopeSpec yarn = RopeSpec.yarn(32, 10000, 4, 64, 32, 1, RopeSpec.yarnAttentionFactor(4));
        // correction range: pairs floor(-1.99) → 0 to ceil(4.03) = 5
        assertThat(yarn.inverseFrequency()[0]).isEqualTo(plain.inverseFrequency()[0]);
        for (int i = 5; i < 16; i++) assertThat(yarn.inverseFrequency()[i]).isCloseTo(plain.inverseFrequency()[i] / 4, org.assertj.core.data.Offset.offset(1e-15));
        // pair 2: ramp (2 − 0) / (5 − 0) = 0.4 of the interpolated frequency, 0.6 of the kept one
        assertThat(yarn.inverseFrequency()[2]).isCloseTo(plain.inverseFrequency()[2] * (0.4 / 4 + 0.6), org.assertj.core.data.Offset.offset(1e-15));
        assertThat(yarn.attentionFactor()).isCloseTo(1 + 0.1 * Math.log(4), org.assertj.core.data.Offset.offset(1e-15));
    }

    private static double worstError(Path folder, int[] tokens, float[][] expected) throws IOException {
        try (Transformer model = TransformerLoader.load(folder, new LoadOptions(null, VECTOR)); var session = model.newSession()) {
            float[][] logits = session.forward(tokens);
            double worst = 0;
            for (int t = 0; t < tokens.length; t++) worst = Math.max(worst, Fixtures.relativeError(logits[t], expected[t]));
            return worst;
        }
    }
}
