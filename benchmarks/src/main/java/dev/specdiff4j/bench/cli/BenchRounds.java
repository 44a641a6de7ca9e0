package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.LoadingOptions;
import dev.specdiff4j.bench.ScaleProjection;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.weights.RandomCheckpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "rounds", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The cost of a speculative round on GPT-2-shaped random models: a GPT-2 small target and an MDLM drafter about",
            "10x smaller (2 blocks x 128, vocabulary 50258), for γ and T; drafting against verification, and the projected",
            "speedup of docs/ALGORITHM.md (\"Cost model and acceptance figures\") filled in with these costs for a few acceptance rates."})
final class BenchRounds implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Option(names = "--gamma", split = ",", defaultValue = "4,8,16", description = "Draft lengths γ (default: ${DEFAULT-VALUE}).") List<Integer> gammas;
    @Option(names = "--steps", split = ",", defaultValue = "1,2,4,8", description = "Denoising steps T (default: ${DEFAULT-VALUE}).") List<Integer> steps;
    @Option(names = "--alpha", split = ",", defaultValue = "0.5,0.7,0.9", description = "Acceptance rates to project with (default: ${DEFAULT-VALUE}).") List<Double> alphas;
    @Mixin
    CostOptions cost;

    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        LoadingOptions.checkThreads("--threads", cost.threads);
        Files.createDirectories(cost.work);
        Files.createDirectories(cost.out);
        RandomCheckpoints.MdlmShape small = new RandomCheckpoints.MdlmShape("mdlm-2x128", 50258, 128, 2, 2, 64, 1024);
        ScaleProjection.TargetCost target;
        ScaleProjection.DraftCost draft;
        try (Kernels kernels = KernelsSelection.create(null, cost.threads)) {
            ScaleProjection p = new ScaleProjection(cost.work, kernels, 5, System.err);
            target = p.target(RandomCheckpoints.Gpt2Shape.SMALL, null, gammas);
            draft = p.drafter(small, null, gammas, steps, 128);
        }
        long targetParams = RandomCheckpoints.Gpt2Shape.SMALL.parameters();
        long drafterParams = small.parameters();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Target: GPT-2 small, F32, random weights (%.0f M parameters); one-token step %.1f ms after 128 tokens. "
                + "Drafter: MDLM 2 blocks × 128 (%.1f M parameters, %.0f× smaller), window 128, drafting γ+1 positions.%n%n",
                targetParams / 1e6, target.stepMs(), drafterParams / 1e6, (double) targetParams / drafterParams));
        b.append("| γ | T | draft ms (cached) | draft ms (exact) | verify(γ+1) ms | draft ÷ verify (cached) |");
        for (double a : alphas) b.append(String.format(Locale.ROOT, " projected speedup α=%.1f |", a));
        b.append("\n|---|---|---|---|---|---|").append("---|".repeat(alphas.size())).append('\n');
        for (int g : gammas) {
            for (int t : steps) {
                double cached = draft.draftMs().get(g + "/" + t + "/cached");
                double exact = draft.draftMs().get(g + "/" + t + "/exact");
                double verify = target.verifyMs().get(g);
                b.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.1f | %.2f |", g, t, cached, exact, verify, cached / verify));
                for (double a : alphas) {
                    b.append(String.format(Locale.ROOT, " %.2f× |", ScaleProjection.projectedSpeedup(a, g, target.stepMs(), cached, verify)));
                }
                b.append('\n');
            }
        }
        b.append("\nspeedup = E[tokens/round] · t_step / (t_draft + t_verify(γ+1)), E = (1 − α^(γ+1)) / (1 − α); per-round overhead "
                + "(acceptance, bookkeeping: well under 1 ms here) left out.\n");
        Files.writeString(cost.out.resolve("rounds.md"), b.toString(), StandardCharsets.UTF_8);
        return b.toString();
    }
}
