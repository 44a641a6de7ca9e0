package dev.specdiff4j.bench;

import dev.specdiff4j.cli.Progress;
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
        // paired ratios 3.75, 0.8333 and 2: their median is 2, although median ÷ median would be 200 / 100 = 2 as well
        // only by coincidence; the fourth pair makes them differ (median ÷ median = 250 / 110)
        r.addRepetition(300, 80);
        r.addRepetition(100, 120);
        r.addRepetition(200, 100);
        assertThat(r.speedup()).isEqualTo(2.0);
        r.addRepetition(400, 400);
        assertThat(r.speedup()).isEqualTo(1.5);
        assertThat(r.tokensPerSecond.median() / r.baselineTokensPerSecond.median()).isNotEqualTo(1.5);
        assertThat(r.lastOverFirst()).containsExactly(400.0 / 300, 400.0 / 80);
        assertThat(r.acceptance()).isEqualTo(0.75);
        assertThat(r.tokensPerRound()).isEqualTo(4.0);
        assertThat(r.draftMsPerRound()).isEqualTo(2.0);
        assertThat(r.verifyMsPerRound()).isEqualTo(5.0);
        assertThat(r.overheadMsPerRound()).isEqualTo(1.0);
        assertThat(r.tokensPerSecond.min()).isEqualTo(100);
        assertThat(r.tokensPerSecond.max()).isEqualTo(400);
        PairedRatios llamaOverAr = new PairedRatios();
        llamaOverAr.add(300, 100);
        String md = SweepReport.markdown(List.of(r), llamaOverAr);
        // four pairs are too few for a 95 % interval; vs llama.cpp = 1.5 ÷ 3
        assertThat(md).contains("| specdiff γ=4 T=2 cached | 250.0 (100.0–400.0) | 110.0 (80.0–400.0) | **1.50× [n=4, no 95% CI]** | 0.50× | 0.750 | 4.00 | 2.00 | 5.00 | 1.00 | 1.33, 5.00 |");
        assertThat(SweepReport.csv(List.of(r), llamaOverAr)).contains(",1.5000,NaN,NaN,0.5000,0.7500,4.0000,");
        assertThat(SweepReport.markdown(List.of(r), null)).contains("| **1.50× [n=4, no 95% CI]** | – |");
    }

    @Test
    void aFullWarmUpRepetitionThenBalancedOrder() {
        List<String> calls = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        SpecDiffBench.Engine fake = (prompt, config) -> {
            calls.add((config.mode() == Mode.AR ? "A" : "B") + prompt[0]);
            lengths.add(config.maxTokens());
            return result(new int[] {1, 2, 3}, 1_000_000);
        };
        List<int[]> prompts = List.of(new int[] {0}, new int[] {1});
        ConfigResult r = new SpecDiffBench(fake, new SpecDiffBench.Options(8, 2, prompts), new Progress("t", 100, QUIET)).measure(specdiff(4));
        // warm-up: every prompt in both modes; then prompt i of repetition r runs A B when r + i is even, B A when odd
        assertThat(calls).containsExactly("A0", "B0", "A1", "B1", "A0", "B0", "B1", "A1", "B0", "A0", "A1", "B1");
        assertThat(lengths).containsOnly(8);
        assertThat(SpecDiffBench.runsPerConfig(2, prompts.size())).isEqualTo(calls.size());
        assertThat(r.speedups.count()).isEqualTo(2);
    }

    @Test
    void aCandidateOnItsOwnEngineIsComparedWithTheBaselineEngine() {
        List<String> calls = new ArrayList<>();
        // the baseline takes 2 ms per 3 tokens, the candidate 1 ms: a paired ratio of 2 in every repetition
        SpecDiffBench.Engine baseline = (prompt, config) -> {
            calls.add("baseline:" + config.mode());
            return result(new int[] {1, 2, 3}, 2_000_000);
        };
        SpecDiffBench.Engine candidate = (prompt, config) -> {
            calls.add("candidate:" + config.mode());
            return result(new int[] {1, 2, 3}, 1_000_000);
        };
        BenchConfig overlapped = new BenchConfig(Mode.SPECDIFF, 3, 1, 0, AcceptancePolicy.GREEDY, true, true, 0, null, 32);
        ConfigResult r = new SpecDiffBench(baseline, new SpecDiffBench.Options(8, 6, List.of(new int[] {0})), new Progress("t", 100, QUIET))
                .measure(overlapped, candidate);
        assertThat(calls).containsOnly("baseline:AR", "candidate:SPECDIFF");
        assertThat(r.speedups.values()).containsOnly(2.0);
        assertThat(r.speedups.format()).isEqualTo("2.00× [2.00–2.00]");
    }

    @Test
    void aGreedyMismatchIsReportedAsAnError() {
        SpecDiffBench.Engine lying = (prompt, config) -> result(config.mode() == Mode.AR ? new int[] {1, 2, 3} : new int[] {1, 2, 4}, 1_000_000);
        ConfigResult r = new SpecDiffBench(lying, new SpecDiffBench.Options(8, 1, List.of(new int[] {0})), new Progress("t", 100, QUIET))
                .measure(specdiff(4));
        assertThat(r.mismatches()).hasSize(1);
        assertThat(SweepReport.markdown(List.of(r), null)).contains("**ERROR: 1 differ**");
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
