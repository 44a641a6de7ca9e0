package dev.specdiff4j.weights;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Llama-family GGUF through the public API with the tokenizer it carries (llama.cpp's Llama 2 SentencePiece vocab file):
 * plain decoding, and speculative decoding with a same-family AR drafter, whose greedy output must equal plain decoding token
 * for token, whether the drafter always agrees (the same weights) or almost never does (other weights). Needs
 * SPECDIFF4J_LLAMA_VOCABS; skipped without it unless SPECDIFF4J_REQUIRE_FIXTURES=1.
 */
class LlamaGenerationTest {
    @Test
    void speculativeGreedyOutputEqualsPlainGreedyOutput(@TempDir Path dir) throws IOException {
        Path vocabs = ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", "ggml-vocab-llama-spm.gguf");
        Path target;
        Path stranger;
        Path twin;
        try (GgufFile vocabulary = GgufFile.open(vocabs.resolve("ggml-vocab-llama-spm.gguf"))) {
            int vocab = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
            RandomTransformers.Shape shape = RandomTransformers.Shape.tiny("llama", vocab);
            target = RandomTransformers.of(shape, 1).writeGguf(dir.resolve("target.gguf"), vocabulary);
            twin = RandomTransformers.of(shape, 1).writeGguf(dir.resolve("twin.gguf"), vocabulary);
            stranger = RandomTransformers.of(RandomTransformers.Shape.tiny("qwen3", vocab), 2).writeGguf(dir.resolve("stranger.gguf"), vocabulary);
        }
        GenerationConfig.Builder greedy = GenerationConfig.builder().maxTokens(24).stopAtEos(false).gamma(4);
        int[] plain;
        try (Generator g = Generator.open(ModelSpec.of(target).withKernels(null, 2, 0))) {
            assertThat(g.describe()).contains("llama 2 layers x 64, 4/2 heads (GQA)");
            GenerationResult r = g.generate("Once upon a time", greedy.mode(Mode.AR).build());
            plain = r.tokens();
            assertThat(plain).hasSize(24);
            assertThat(r.text()).isNotEmpty();
        }
        for (Path drafter : new Path[] {twin, stranger}) {
            try (Generator g = Generator.open(ModelSpec.of(target).withArDrafter(drafter).withKernels(null, 2, 0))) {
                GenerationResult r = g.generate("Once upon a time", greedy.mode(Mode.SD).build());
                assertThat(r.tokens()).as("SD with drafter %s", drafter.getFileName()).containsExactly(plain);
                if (drafter == twin) assertThat(r.stats().accepted()).as("the twin's drafts are all accepted").isEqualTo(r.stats().drafted());
                else assertThat(r.stats().accepted()).as("the stranger's drafts are mostly rejected").isLessThan(r.stats().drafted());
            }
        }
    }
}
