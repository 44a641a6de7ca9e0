package dev.specdiff4j.cli;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The bundled demo pair end to end: greedy specdiff and sd give exactly the tokens of greedy ar. */
class DemoModelsTest {
    private static final Path DEMO = Path.of("..", "models", "demo");
    private static final List<String> PROMPTS = List.of("The jury said", "It was the first time that",
            "In the morning, the children", "He looked at her and said", "The purpose of this study is");

    @Test
    void speculativeModesGiveExactlyTheGreedyTokens() throws Exception {
        try (Generator g = Generator.open(ModelSpec.of(DEMO.resolve("target")).withDiffusionDrafter(DEMO.resolve("drafter"))
                .withArDrafter(DEMO.resolve("ar-drafter")))) {
            int speculativeRounds = 0;
            for (String prompt : PROMPTS) {
                GenerationResult ar = g.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(48).stopAtEos(false).build());
                assertThat(ar.tokens()).hasSize(48);
                for (Mode mode : new Mode[] {Mode.SPECDIFF, Mode.SD}) {
                    for (int gamma : new int[] {4, 8}) {
                        GenerationResult r = g.generate(prompt, GenerationConfig.builder().mode(mode).maxTokens(48).stopAtEos(false)
                                .gamma(gamma).steps(2).build());
                        assertThat(r.tokens()).as("%s γ=%d, '%s'", mode, gamma, prompt).containsExactly(ar.tokens());
                        speculativeRounds += r.stats().rounds();
                    }
                }
            }
            assertThat(speculativeRounds).isPositive();
        }
    }

    @Test
    void theMainJobRunsWithItsDefaults() {
        CliTestSupport.Result r = CliTestSupport.run("generate", "--max-tokens", "16", "The jury said");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isNotBlank();
        assertThat(r.err()).contains("[specdiff]").contains("acceptance").contains("tokens/round");
    }
}
