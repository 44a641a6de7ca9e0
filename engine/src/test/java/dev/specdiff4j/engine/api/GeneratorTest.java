package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.model.ContextLimitException;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedding API: one Generator shared by all requests, streaming, stop strings, cancellation, clear errors. */
class GeneratorTest {
    @TempDir
    static Path dir;
    private static Generator generator;

    @BeforeAll
    static void open() throws IOException {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        generator = Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny"))
                .withArDrafter(Fixtures.folder("gpt2-tiny-drafter")).withKernels(null, 2, 0));
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    private static GenerationConfig.Builder greedy(Mode mode) {
        return GenerationConfig.builder().mode(mode).maxTokens(30).stopAtEos(false).gamma(4).steps(2);
    }

    @Test
    void everyModeGivesTheSameGreedyText() {
        GenerationResult ar = generator.generate("The quick brown fox", greedy(Mode.AR).build());
        assertThat(ar.tokens()).hasSize(30);
        assertThat(ar.finishReason()).isEqualTo(FinishReason.LENGTH);
        for (Mode m : new Mode[] {Mode.SD, Mode.SPECDIFF}) {
            GenerationResult r = generator.generate("The quick brown fox", greedy(m).build());
            assertThat(r.tokens()).as(m.name()).containsExactly(ar.tokens());
            assertThat(r.text()).isEqualTo(ar.text());
            assertThat(r.stats().rounds()).isPositive();
            assertThat(r.stats().drafted()).isGreaterThanOrEqualTo(r.stats().accepted());
        }
        assertThat(generator.describe()).contains("target: GPT-2").contains("diffusion drafter: MDLM").contains("autoregressive drafter");
    }

    @Test
    void streamingDeliversTheTextPieceByPiece() {
        List<String> pieces = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        GenerationResult r = generator.generate("The lazy dog", greedy(Mode.SPECDIFF).build(), new GenerationListener() {
            @Override
            public void onText(String text) {
                pieces.add(text);
            }

            @Override
            public void onTokens(int[] ids) {
                tokens.add(ids);
            }
        }, new Cancellation());
        assertThat(String.join("", pieces)).isEqualTo(r.text());
        assertThat(tokens.stream().mapToInt(a -> a.length).sum()).isEqualTo(r.tokens().length);
        assertThat(pieces.size()).isGreaterThan(1);
    }

    @Test
    void stopStringsEndTheTextBeforeThem() {
        GenerationResult full = generator.generate("The quick", greedy(Mode.AR).build());
        String stop = full.text().substring(full.text().length() / 2, full.text().length() / 2 + 2);
        int at = full.text().indexOf(stop);
        for (Mode m : Mode.values()) {
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = generator.generate("The quick", greedy(m).stop(List.of(stop)).build(), streamed::append, new Cancellation());
            assertThat(r.text()).as(m.name()).isEqualTo(full.text().substring(0, at));
            assertThat(streamed.toString()).isEqualTo(r.text());
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void cancellationStopsAGeneration() {
        Cancellation cancel = new Cancellation();
        int[] seen = new int[1];
        GenerationResult r = generator.generate("The", greedy(Mode.SPECDIFF).maxTokens(200).build(), new GenerationListener() {
            @Override
            public void onText(String text) {
            }

            @Override
            public void onTokens(int[] ids) {
                if (++seen[0] == 5) cancel.cancel();
            }
        }, cancel);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.tokens().length).isLessThan(20);
    }

    @Test
    void concurrentRequestsShareTheModelsAndMatchSequentialOnes() throws Exception {
        List<GenerationConfig> configs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Mode m = Mode.values()[i % 3];
            SamplingConfig sampling = i % 2 == 0 ? SamplingConfig.greedy() : new SamplingConfig(0.8, 20, 0.9, i);
            configs.add(greedy(m).sampling(sampling).verify(sampling.isGreedy() ? AcceptancePolicy.GREEDY : AcceptancePolicy.STRICT).build());
        }
        List<GenerationResult> sequential = new ArrayList<>();
        for (GenerationConfig c : configs) sequential.add(generator.generate("Over the dog", c));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (GenerationConfig c : configs) futures.add(pool.submit(() -> generator.generate("Over the dog", c)));
            for (int i = 0; i < configs.size(); i++) assertThat(futures.get(i).get().tokens()).containsExactly(sequential.get(i).tokens());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badRequestsAreClearErrors() {
        assertThatThrownBy(() -> generator.generate("x".repeat(400), greedy(Mode.AR).build()))
                .isInstanceOf(ContextLimitException.class).hasMessageContaining("context of 64 tokens");
        assertThatThrownBy(() -> GenerationConfig.builder().gamma(0).build()).hasMessageContaining("gamma");
        assertThatThrownBy(() -> GenerationConfig.builder().maxTokens(0).build()).hasMessageContaining("max tokens");
        assertThatThrownBy(() -> GenerationConfig.builder().sampling(new SamplingConfig(0.7, 0, 1, 1)).verify(AcceptancePolicy.GREEDY).build())
                .hasMessageContaining("temperature 0");
        assertThatThrownBy(() -> new SamplingConfig(-1, 0, 1, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingConfig(1, 0, 1.5, 0)).hasMessageContaining("top-p");
        assertThatThrownBy(() -> GenerationConfig.builder().stop(List.of("")).build()).hasMessageContaining("stop string");
        assertThatThrownBy(() -> GenerationConfig.builder().gamma(3).adaptive(new GenerationConfig.AdaptiveGamma(4, 8)).build())
                .hasMessageContaining("outside the adaptive bounds");
    }

    @Test
    void mismatchedDraftersAreRefused(@TempDir Path tmp) throws IOException {
        Path target = TinyModels.withTokenizer("gpt2-tiny", tmp);
        assertThatThrownBy(() -> Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-awkward"))))
                .hasMessageContaining("vocabulary of 258").hasMessageContaining("plus one MASK");
        assertThatThrownBy(() -> Generator.open(ModelSpec.of(target).withArDrafter(Fixtures.folder("gpt2-awkward"))))
                .hasMessageContaining("vocabulary of 257");
        // same size, another tokenizer
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(Fixtures.folder("gpt2-tiny-drafter").resolve(f), other.resolve(f));
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 50; i++) docs.add("Completely different words " + i + " zebra xylophone quartz");
        dev.specdiff4j.tokenizer.HfTokenizerWriter.write(new dev.specdiff4j.tokenizer.BpeTrainer(
                dev.specdiff4j.tokenizer.BpeTrainer.Options.gpt2Style(300), null).train(docs), other.resolve("tokenizer.json"));
        assertThatThrownBy(() -> Generator.open(ModelSpec.of(target).withArDrafter(other))).hasMessageContaining("uses another tokenizer");
        try (Generator g = Generator.open(ModelSpec.of(target))) {
            assertThatThrownBy(() -> g.generate("x", GenerationConfig.builder().mode(Mode.SPECDIFF).build())).hasMessageContaining("needs a diffusion drafter");
            assertThatThrownBy(() -> g.generate("x", GenerationConfig.builder().mode(Mode.SD).build())).hasMessageContaining("needs an autoregressive drafter");
        }
    }
}
