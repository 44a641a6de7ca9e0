package dev.specdiff4j.cli;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The main job's defaults (docs/notes/17-defaults-round2.md): the bundled block drafter where it can run, at its own γ, with
 * output identical to plain greedy decoding; the MDLM where it cannot; and values the user gives win over the defaults.
 */
class MainJobDefaultsTest {
    private static final Path DEMO = Path.of("..", "models", "demo");

    @Test
    void theBundledBlockDrafterIsTheMainJobsDrafterWhereItCanRun() throws Exception {
        assertThat(DemoModels.mainJobDrafter(true, false, true).getFileName()).hasToString("block-drafter");
        assertThat(DemoModels.mainJobDrafter(false, false, true).getFileName()).as("another target").hasToString("drafter");
        assertThat(DemoModels.mainJobDrafter(true, true, true).getFileName()).as("overlap").hasToString("drafter");
        assertThat(DemoModels.mainJobDrafter(true, false, false).getFileName()).as("a device").hasToString("drafter");
    }

    @Test
    void theDefaultGammaFollowsTheDrafterKind() throws Exception {
        ModelSpec block = ModelSpec.of(DEMO.resolve("target")).withDiffusionDrafter(DEMO.resolve("block-drafter"));
        ModelSpec mdlm = ModelSpec.of(DEMO.resolve("target")).withDiffusionDrafter(DEMO.resolve("drafter"));
        assertThat(block.defaultGamma(Mode.SPECDIFF)).isEqualTo(GenerationConfig.BLOCK_DRAFTER_GAMMA);
        assertThat(block.defaultGamma(Mode.SD)).isEqualTo(3);
        assertThat(mdlm.defaultGamma(Mode.SPECDIFF)).isEqualTo(3);
        assertThat(ModelSpec.of(DEMO.resolve("target")).defaultGamma(Mode.SPECDIFF)).isEqualTo(3);
    }

    @Test
    void theDefaultPathGivesExactlyThePlainGreedyTokens() throws Exception {
        ModelSpec spec = ModelSpec.of(DEMO.resolve("target")).withDiffusionDrafter(DemoModels.mainJobDrafter(true, false, true))
                .withKernels(null, 2, 0);
        try (Generator g = Generator.open(spec)) {
            int rounds = 0;
            for (String prompt : List.of("It was the first time that", "The jury said", "He looked at her and said")) {
                GenerationResult ar = g.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(48).stopAtEos(false).build());
                GenerationConfig defaults = g.defaults(Mode.SPECDIFF).maxTokens(48).stopAtEos(false).build();
                assertThat(defaults.gamma()).isEqualTo(GenerationConfig.BLOCK_DRAFTER_GAMMA);
                assertThat(defaults.tree()).isEqualTo(GenerationConfig.DEFAULT_TREE);
                GenerationResult r = g.generate(prompt, defaults);
                assertThat(r.tokens()).as("'%s'", prompt).containsExactly(ar.tokens());
                GenerationResult chain = g.generate(prompt, defaults.toBuilder().tree(GenerationConfig.TREE_CHAIN).build());
                assertThat(chain.tokens()).as("chain, '%s'", prompt).containsExactly(ar.tokens());
                rounds += r.stats().rounds() + chain.stats().rounds();
            }
            assertThat(rounds).isPositive();
        }
    }

    @Test
    void forcedValuesWinOverTheDefaults() {
        assertThat(parse().config(Mode.SPECDIFF, 4).gamma()).isEqualTo(4);
        assertThat(parse().config(Mode.SPECDIFF, 4).tree()).isEqualTo(GenerationConfig.DEFAULT_TREE);
        assertThat(parse("--gamma", "2").config(Mode.SPECDIFF, 4).gamma()).isEqualTo(2);
        assertThat(parse("--adaptive", "1:3").config(Mode.SPECDIFF, 4).gamma()).as("inside the adaptive bounds").isEqualTo(3);
        assertThat(parse("--tree", "chain").config(Mode.SPECDIFF, 4).tree()).isEqualTo(GenerationConfig.TREE_CHAIN);
        assertThat(parse("--tree", "5", "--gamma", "3").config(Mode.SPECDIFF, 4)).satisfies(c -> {
            assertThat(c.tree()).isEqualTo(5);
            assertThat(c.gamma()).isEqualTo(3);
        });
    }

    private static GenerateCommand parse(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }
}
