package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.io.SafetensorsWriter;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Greedy speculative decoding gives exactly the tokens of plain greedy decoding: for many prompts, every
 * kind of drafter (a diffusion drafter in exact and cached mode and several step counts, a small
 * autoregressive drafter, the target itself as an always-right drafter, an always-wrong one, a mostly
 * right one), several γ, adaptive γ, overlap on and off, up to the context limit, and a target whose
 * logits hold exact ties and near-ties.
 */
class SpeculativeGreedyTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static final VectorKernels DRAFT_KERNELS = new VectorKernels(1);
    private static final ExecutorService BACKGROUND = Executors.newSingleThreadExecutor();
    private static TinyModels models;

    @BeforeAll
    static void load() throws IOException {
        models = TinyModels.load(KERNELS, DRAFT_KERNELS);
    }

    @AfterAll
    static void close() {
        models.close();
        KERNELS.close();
        DRAFT_KERNELS.close();
        BACKGROUND.shutdownNow();
    }

    static List<int[]> prompts(int count, int vocab, long seed) {
        Random r = new Random(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = new int[1 + r.nextInt(20)];
            for (int j = 0; j < p.length; j++) p[j] = r.nextInt(vocab);
            prompts.add(p);
        }
        return prompts;
    }

    static int[] autoregressive(CausalLanguageModel model, int[] prompt, int maxTokens) {
        List<Integer> out = new ArrayList<>();
        new AutoregressiveDecoder(model).decode(prompt, maxTokens, SamplingConfig.greedy(), -1, t -> {
            for (int x : t) out.add(x);
            return true;
        }, () -> false);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static DecodeResult speculative(CausalLanguageModel model, Drafter drafter, int[] prompt, int maxTokens, SpeculativeSettings settings) {
        List<Integer> out = new ArrayList<>();
        DecodeStats stats = new SpeculativeDecoder(model, drafter, BACKGROUND).decode(prompt, maxTokens, settings, -1, t -> {
            for (int x : t) out.add(x);
            return true;
        }, () -> false);
        return new DecodeResult(out.stream().mapToInt(Integer::intValue).toArray(), stats);
    }

    record DecodeResult(int[] tokens, DecodeStats stats) {
    }

    static SpeculativeSettings greedy(int gamma, boolean overlap) {
        return new SpeculativeSettings(gamma, gamma, gamma, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), overlap);
    }

    private static Map<String, Drafter> drafters(CausalLanguageModel model) {
        Map<String, Drafter> d = new java.util.LinkedHashMap<>();
        d.put("diffusion T=1 cached", new DiffusionDrafter(models.diffusion(), 300, 1, new DraftingConfig(16, false, true)));
        d.put("diffusion T=2 exact", new DiffusionDrafter(models.diffusion(), 300, 2, new DraftingConfig(32, false, false)));
        d.put("diffusion T=4 cached", new DiffusionDrafter(models.diffusion(), 300, 4, new DraftingConfig(32, false, true)));
        d.put("diffusion T=3 padded", new DiffusionDrafter(models.diffusion(), 300, 3, new DraftingConfig(12, true, true)));
        d.put("small autoregressive", new AutoregressiveDrafter(models.smallDrafter()));
        d.put("target itself (always right)", new AutoregressiveDrafter(model));
        d.put("always wrong", TestDrafters.oracle(model, 0.0));
        d.put("mostly right", TestDrafters.oracle(model, 0.9));
        return d;
    }

    @Test
    void everyDrafterGivesExactlyTheGreedyTokens() {
        for (int[] prompt : prompts(8, 300, 1)) {
            int[] expected = autoregressive(models.target(), prompt, 24);
            for (Map.Entry<String, Drafter> e : drafters(models.target()).entrySet()) {
                for (int gamma : new int[] {1, 3, 8}) {
                    DecodeResult r = speculative(models.target(), e.getValue(), prompt, 24, greedy(gamma, false));
                    assertThat(r.tokens()).as("%s, γ=%d, prompt of %d", e.getKey(), gamma, prompt.length).containsExactly(expected);
                }
            }
        }
    }

    @Test
    void acceptanceReflectsDrafterQuality() {
        int[] prompt = prompts(1, 300, 2).get(0);
        DecodeStats right = speculative(models.target(), new AutoregressiveDrafter(models.target()), prompt, 30, greedy(4, false)).stats();
        DecodeStats wrong = speculative(models.target(), TestDrafters.oracle(models.target(), 0.0), prompt, 30, greedy(4, false)).stats();
        assertThat(right.acceptanceRate()).isEqualTo(1.0);
        assertThat(right.meanTokensPerRound()).isGreaterThan(4.5);
        assertThat(wrong.acceptanceRate()).isZero();
        assertThat(wrong.meanTokensPerRound()).isEqualTo(1.0);
        assertThat(wrong.rounds()).isEqualTo(30);
    }

    @Test
    void overlapAndAdaptiveGammaKeepTheTokens() {
        for (int[] prompt : prompts(5, 300, 3)) {
            int[] expected = autoregressive(models.target(), prompt, 30);
            for (Map.Entry<String, Drafter> e : drafters(models.target()).entrySet()) {
                DecodeResult overlapped = speculative(models.target(), e.getValue(), prompt, 30, greedy(4, true));
                assertThat(overlapped.tokens()).as("overlap, %s", e.getKey()).containsExactly(expected);
                SpeculativeSettings adaptive = new SpeculativeSettings(4, 1, 12, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false);
                assertThat(speculative(models.target(), e.getValue(), prompt, 30, adaptive).tokens()).as("adaptive, %s", e.getKey()).containsExactly(expected);
            }
        }
    }

    @Test
    void adaptiveGammaGrowsWhenTheDrafterIsRight() {
        int[] prompt = prompts(1, 300, 4).get(0);
        SpeculativeSettings adaptive = new SpeculativeSettings(2, 1, 12, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false);
        DecodeStats right = speculative(models.target(), new AutoregressiveDrafter(models.target()), prompt, 40, adaptive).stats();
        DecodeStats fixed = speculative(models.target(), new AutoregressiveDrafter(models.target()), prompt, 40, greedy(2, false)).stats();
        assertThat(right.rounds()).isLessThan(fixed.rounds());
    }

    @Test
    void runsToTheContextLimitLikePlainDecoding() {
        int[] prompt = prompts(1, 300, 5).get(0);
        int[] longPrompt = new int[55];
        for (int i = 0; i < longPrompt.length; i++) longPrompt[i] = prompt[i % prompt.length];
        int[] expected = autoregressive(models.target(), longPrompt, 100);
        assertThat(expected).hasSize(64 - 55 + 1);
        for (Drafter d : drafters(models.target()).values()) {
            assertThat(speculative(models.target(), d, longPrompt, 100, greedy(6, false)).tokens()).containsExactly(expected);
        }
    }

    @Test
    void tiesAndNearTiesInTheTargetLogits(@TempDir Path dir) throws IOException {
        Path tied = withTiedTokens(dir.resolve("tied"));
        try (Gpt2 model = Gpt2.load(tied, new LoadOptions(null, KERNELS))) {
            int tiedChoices = 0;
            for (int[] prompt : prompts(6, 300, 6)) {
                int[] expected = autoregressive(model, prompt, 24);
                for (int t : expected) if (t == 9 || t == 20 || (t >= 15 && t < 20)) tiedChoices++;
                for (Map.Entry<String, Drafter> e : drafters(model).entrySet()) {
                    for (int gamma : new int[] {2, 7}) {
                        assertThat(speculative(model, e.getValue(), prompt, 24, greedy(gamma, false)).tokens())
                                .as("%s γ=%d", e.getKey(), gamma).containsExactly(expected);
                    }
                }
            }
            assertThat(tiedChoices).as("greedy choices among tied or near-tied tokens").isGreaterThan(10);
        }
    }

    /**
     * A copy of gpt2-tiny whose output embeddings for tokens 10..19 are copies of row 9 (exact ties) and
     * of row 20 plus 1e-7 (near-ties), and whose input embeddings make those tokens likely.
     */
    static Path withTiedTokens(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path src = Fixtures.folder("gpt2-tiny");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(src); Arena arena = Arena.ofConfined()) {
            List<TensorWriteSource> out = new ArrayList<>();
            for (String name : c.names()) {
                Tensor t = c.tensor(name);
                float[] v = t.toFloatArray();
                if (name.endsWith("wte.weight")) {
                    int d = t.cols();
                    for (int tok = 10; tok < 15; tok++) System.arraycopy(v, 9 * d, v, tok * d, d);
                    for (int tok = 15; tok < 20; tok++) {
                        for (int i = 0; i < d; i++) v[tok * d + i] = v[20 * d + i] + (i == tok % d ? 1e-7f : 0f);
                    }
                    for (int i = 0; i < d; i++) {
                        v[9 * d + i] *= 3;
                        v[20 * d + i] *= 3;
                    }
                    for (int tok = 10; tok < 20; tok++) System.arraycopy(v, (tok < 15 ? 9 : 20) * d, v, tok * d, d);
                    for (int tok = 15; tok < 20; tok++) v[tok * d + tok % d] += 1e-6f;
                }
                Tensor copy = Tensor.of(name, DType.F32, t.shape(), v, arena);
                out.add(new TensorWriteSource(name, DType.F32, t.shape(), o -> o.write(copy.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), false, Map.of(), out);
        }
        return dir;
    }
}
