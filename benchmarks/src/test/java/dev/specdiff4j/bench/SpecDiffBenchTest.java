package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SpecDiffBenchTest {
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    private static BenchConfig specdiff(int gamma) {
        return new BenchConfig(Mode.SPECDIFF, gamma, 2, 0, AcceptancePolicy.GREEDY, true, false, 0, null, 32);
    }

    @Test
    void arithmeticFromKnownCounts() {
        ConfigResult r = new ConfigResult(specdiff(4));
        // two runs: 10 rounds, 40 drafted, 30 accepted, 40 tokens; draft 20 ms, verify 50 ms, total 80 ms
        r.add(6, 24, 18, 24, 12_000_000, 30_000_000, 48_000_000, 0);
        r.add(4, 16, 12, 16, 8_000_000, 20_000_000, 32_000_000, 0);
        r.tokensPerSecond.add(300);
        r.tokensPerSecond.add(100);
        r.tokensPerSecond.add(200);
        r.baselineTokensPerSecond.add(80);
        r.baselineTokensPerSecond.add(120);
        r.baselineTokensPerSecond.add(100);
        assertThat(r.acceptance()).isEqualTo(0.75);
        assertThat(r.tokensPerRound()).isEqualTo(4.0);
        assertThat(r.speedup()).isEqualTo(2.0);
        assertThat(r.draftMsPerRound()).isEqualTo(2.0);
        assertThat(r.verifyMsPerRound()).isEqualTo(5.0);
        assertThat(r.overheadMsPerRound()).isEqualTo(1.0);
        assertThat(r.tokensPerSecond.min()).isEqualTo(100);
        assertThat(r.tokensPerSecond.max()).isEqualTo(300);
        String md = SweepReport.markdown(List.of(r), 400);
        assertThat(md).contains("| specdiff γ=4 T=2 cached | 200.0 (100.0–300.0) | 100.0 (80.0–120.0) | **2.00×** | 0.50× | 0.750 | 4.00 | 2.00 | 5.00 | 1.00 |");
        assertThat(SweepReport.csv(List.of(r), 400)).contains(",2.0000,0.5000,0.7500,4.0000,");
    }

    @Test
    void runsAreInterleavedAfterAWarmUp() {
        List<String> calls = new ArrayList<>();
        SpecDiffBench.Engine fake = (prompt, config) -> {
            calls.add((config.mode() == Mode.AR ? "A" : "B") + prompt[0]);
            return result(new int[] {1, 2, 3}, 1_000_000);
        };
        List<int[]> prompts = List.of(new int[] {0}, new int[] {1});
        new SpecDiffBench(fake, new SpecDiffBench.Options(8, 2, prompts), new Progress("t", 100, QUIET)).measure(specdiff(4));
        assertThat(calls).containsExactly("A0", "B0", "A0", "A1", "B0", "B1", "A0", "A1", "B0", "B1");
        assertThat(SpecDiffBench.runsPerConfig(new SpecDiffBench.Options(8, 2, prompts))).isEqualTo(calls.size());
    }

    @Test
    void aGreedyMismatchIsReportedAsAnError() {
        SpecDiffBench.Engine lying = (prompt, config) -> result(config.mode() == Mode.AR ? new int[] {1, 2, 3} : new int[] {1, 2, 4}, 1_000_000);
        ConfigResult r = new SpecDiffBench(lying, new SpecDiffBench.Options(8, 1, List.of(new int[] {0})), new Progress("t", 100, QUIET))
                .measure(specdiff(4));
        assertThat(r.mismatches()).hasSize(1);
        assertThat(SweepReport.markdown(List.of(r), Double.NaN)).contains("**ERROR: 1 differ**");
    }

    @Test
    void aBrokenDrafterShowsAsLowAcceptanceAndAPerfectOneAsFull(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        // the random-weight MDLM knows nothing of the target: a broken drafter; the target as its own AR drafter: a perfect one
        try (Generator g = Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny")).withArDrafter(target)
                .withKernels(null, 2, 0))) {
            List<int[]> prompts = List.of(g.tokenizer().encode("The quick"), g.tokenizer().encode("brown fox"));
            SpecDiffBench bench = new SpecDiffBench(SpecDiffBench.Engine.of(g), new SpecDiffBench.Options(20, 2, prompts), new Progress("t", 1000, QUIET));
            ConfigResult broken = bench.measure(specdiff(4));
            ConfigResult perfect = bench.measure(new BenchConfig(Mode.SD, 4, 1, 0, AcceptancePolicy.GREEDY, true, false, 0, null, 32));
            assertThat(broken.acceptance()).isLessThan(0.2);
            assertThat(perfect.acceptance()).isEqualTo(1.0);
            assertThat(perfect.tokensPerRound()).isGreaterThan(broken.tokensPerRound());
            assertThat(broken.mismatches()).isEmpty();
            assertThat(perfect.mismatches()).isEmpty();
            assertThat(broken.tokensPerSecond.count()).isEqualTo(2);
            assertThat(broken.baselineTokensPerSecond.count()).isEqualTo(2);
        }
    }

    @Test
    void projectionArithmetic() {
        assertThat(ScaleProjection.expectedTokens(0.0, 8)).isEqualTo(1.0);
        assertThat(ScaleProjection.expectedTokens(1.0, 8)).isEqualTo(9.0);
        assertThat(ScaleProjection.expectedTokens(0.5, 2)).isEqualTo(1.75);
        // 1.75 tokens per round, a 10 ms step, 2 ms drafting + 12 ms verification: 1.75 · 10 / 14
        assertThat(ScaleProjection.projectedSpeedup(0.5, 2, 10, 2, 12)).isEqualTo(1.25);
    }

    private static GenerationResult result(int[] tokens, long nanos) {
        DecodeStats s = new DecodeStats(1, tokens.length, 0, nanos, 1, 0, 0, 0, 0, 0, FinishReason.LENGTH);
        return new GenerationResult("", new int[] {0}, tokens, FinishReason.LENGTH, Mode.AR, s, "fake");
    }

}
