package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A text prompt reaches the model with the BOS its tokenizer's files ask for: the tiny GPT-2 with a tokenizer_config.json
 * asking for {@code <|endoftext|>} as BOS sees it first and generates what it generates after those ids; without the
 * config it sees the text alone, as GPT-2 always has. Token-id prompts are taken as they are.
 */
class GeneratorBosTest {
    @TempDir
    Path dir;

    private static final GenerationConfig GREEDY = GenerationConfig.builder().mode(Mode.AR).maxTokens(8).stopAtEos(false).build();

    @Test
    void aTextPromptStartsWithTheBosTheFilesAskFor() throws IOException {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        Files.writeString(target.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<|endoftext|>\"}");
        try (Generator g = Generator.open(ModelSpec.of(target).withKernels(null, 1, 0))) {
            Tokenizer t = g.tokenizer();
            int bos = t.specialTokenId("<|endoftext|>").orElseThrow();
            int[] text = t.encode("The quick brown fox");
            GenerationResult r = g.generate("The quick brown fox", GREEDY);
            assertThat(r.promptTokens()).startsWith(bos).hasSize(text.length + 1);
            int[] withBos = new int[text.length + 1];
            withBos[0] = bos;
            System.arraycopy(text, 0, withBos, 1, text.length);
            GenerationResult byIds = g.generate(withBos, GREEDY, GenerationListener.NONE, new Cancellation());
            assertThat(r.tokens()).containsExactly(byIds.tokens());

            GenerationResult raw = g.generate(text, GREEDY, GenerationListener.NONE, new Cancellation());
            assertThat(raw.promptTokens()).containsExactly(text);
            assertThat(g.generate("", GREEDY).promptTokens()).containsExactly(bos);
        }
    }

    @Test
    void withoutAConfigGpt2SeesTheTextAlone() throws IOException {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        try (Generator g = Generator.open(ModelSpec.of(target).withKernels(null, 1, 0))) {
            int[] text = g.tokenizer().encode("The quick brown fox");
            assertThat(g.generate("The quick brown fox", GREEDY).promptTokens()).containsExactly(text);
        }
    }
}
