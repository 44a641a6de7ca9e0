package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.model.ContextLimitException;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ModelSpec.withContextSize: a generation ends where a model with that context would end it. */
class GeneratorContextSizeTest {
    /** gpt2-tiny's context. */
    private static final int MODEL_CONTEXT = 64;
    private static final int CAP = 16;
    @TempDir
    static Path dir;
    private static Path target;
    private static Generator whole;
    private static Generator capped;

    @BeforeAll
    static void open() throws IOException {
        target = TinyModels.withTokenizer("gpt2-tiny", dir);
        ModelSpec spec = ModelSpec.of(target).withArDrafter(Fixtures.folder("gpt2-tiny-drafter")).withKernels(null, 2, 0);
        whole = Generator.open(spec);
        capped = Generator.open(spec.withContextSize(CAP));
    }

    @AfterAll
    static void close() {
        whole.close();
        capped.close();
    }

    private static GenerationConfig endless(Mode mode) {
        return GenerationConfig.builder().mode(mode).maxTokens(200).stopAtEos(false).gamma(3).build();
    }

    @Test
    void theModelsOwnContextEndsAGenerationAfterContextMinusPromptPlusOneTokens() {
        int[] prompt = whole.tokenizer().encode("The quick brown fox");
        GenerationResult r = whole.generate(prompt, endless(Mode.AR), GenerationListener.NONE, new Cancellation());
        assertThat(r.tokens()).hasSize(MODEL_CONTEXT - prompt.length + 1);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CONTEXT);
        assertThat(whole.contextLength()).isEqualTo(MODEL_CONTEXT);
    }

    @Test
    void aSmallerContextSizeEndsItTheSameWayAtTheCap() {
        int[] prompt = capped.tokenizer().encode("The quick brown fox");
        GenerationResult full = whole.generate(prompt, endless(Mode.AR), GenerationListener.NONE, new Cancellation());
        for (Mode mode : new Mode[] {Mode.AR, Mode.SD}) {
            GenerationResult r = capped.generate(prompt, endless(mode), GenerationListener.NONE, new Cancellation());
            assertThat(r.tokens()).as(mode.name()).hasSize(CAP - prompt.length + 1)
                    .containsExactly(Arrays.copyOf(full.tokens(), CAP - prompt.length + 1));
            assertThat(r.finishReason()).as(mode.name()).isEqualTo(FinishReason.CONTEXT);
        }
        GenerationResult few = capped.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(3).stopAtEos(false).build(),
                GenerationListener.NONE, new Cancellation());
        assertThat(few.tokens()).hasSize(3);
        assertThat(few.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(capped.contextLength()).isEqualTo(CAP);
        assertThat(capped.target().contextLength()).isEqualTo(MODEL_CONTEXT);
    }

    @Test
    void aPromptThatFillsTheCapIsRefused() {
        int[] prompt = new int[CAP];
        Arrays.fill(prompt, 5);
        assertThatThrownBy(() -> capped.generate(prompt, endless(Mode.AR), GenerationListener.NONE, new Cancellation()))
                .isInstanceOf(ContextLimitException.class).hasMessageContaining("context of " + CAP + " tokens");
        assertThat(whole.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(1).build(), GenerationListener.NONE,
                new Cancellation()).tokens()).hasSize(1);
    }

    @Test
    void aContextSizeAboveTheModelsIsRefusedAtLoad() {
        assertThatThrownBy(() -> Generator.open(ModelSpec.of(target).withKernels(null, 1, 0).withContextSize(MODEL_CONTEXT + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context size of 65 tokens is more than")
                .hasMessageContaining("(64)");
        assertThatThrownBy(() -> ModelSpec.of(target).withContextSize(-1)).hasMessageContaining("context size");
    }
}
