package dev.specdiff4j.bench;

import dev.specdiff4j.engine.decoding.DiffusionSampler;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.weights.RandomCheckpoints;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What SpecDiff would gain at real model sizes, which no model trained here has: the per-round costs are
 * measured on random-weight models of the real shapes (GPT-2 small to XL targets, the MDLM-OWT drafter),
 * and combined with an acceptance profile α(γ, T) (measured on the demo pair, or given) through
 * speedup = E[tokens per round] · t_step / (t_draft + t_verify(γ+1)), E = (1 − α^(γ+1)) / (1 − α), where α is the
 * per-position acceptance ({@link #perPositionAlpha}: derived from a sweep's tokens per round, not accepted ÷ drafted).
 * A projection, not a measurement: it assumes the big drafter is as good a guesser of the big target as
 * the demo drafter is of the demo target, and no per-round overhead beyond drafting and verification.
 */
public final class ScaleProjection {
    /** Measured costs of one target. */
    public record TargetCost(String shape, String dtype, double stepMs, Map<Integer, Double> verifyMs) {
    }

    /** Measured drafting costs of the MDLM-OWT shape: key "γ/T/cached|exact". */
    public record DraftCost(String shape, Map<String, Double> draftMs) {
    }

    private final Path work;
    private final Kernels kernels;
    private final PrintStream log;
    private final int repeats;

    public ScaleProjection(Path work, Kernels kernels, int repeats, PrintStream log) {
        this.work = work;
        this.kernels = kernels;
        this.repeats = repeats;
        this.log = log;
    }

    public TargetCost target(RandomCheckpoints.Gpt2Shape shape, DType dtype, List<Integer> gammas) throws IOException {
        Path folder = work.resolve(shape.name() + "-random");
        if (!Files.exists(folder.resolve("model.safetensors"))) {
            log.printf("writing a random-weight %s (%.0f M parameters)%n", shape.name(), shape.parameters() / 1e6);
            RandomCheckpoints.gpt2(folder, shape, DType.F32, 3);
        }
        try (Gpt2 model = Gpt2.load(folder, new LoadOptions(dtype, kernels)); CausalLanguageModel.Session s = model.newSession()) {
            int[] context = new int[128];
            for (int i = 0; i < context.length; i++) context[i] = (i * 7919) % (shape.vocab() - 1);
            s.forward(context, 0);
            Samples step = new Samples();
            Map<Integer, Samples> verify = new LinkedHashMap<>();
            for (int g : gammas) verify.put(g, new Samples());
            for (int r = 0; r < repeats + 1; r++) {
                long t0 = System.nanoTime();
                s.forward(new int[] {5}, 1);
                long t1 = System.nanoTime();
                s.truncate(128);
                if (r > 0) step.add((t1 - t0) / 1e6);
                for (int g : gammas) {
                    int[] block = new int[g + 1];
                    for (int i = 0; i <= g; i++) block[i] = (i * 31 + 7) % (shape.vocab() - 1);
                    long a = System.nanoTime();
                    s.forward(block);
                    long b = System.nanoTime();
                    s.truncate(128);
                    if (r > 0) verify.get(g).add((b - a) / 1e6);
                }
            }
            Map<Integer, Double> verifyMs = new LinkedHashMap<>();
            verify.forEach((g, samples) -> verifyMs.put(g, samples.median()));
            return new TargetCost(shape.name(), dtype == null ? "f32" : dtype.displayName(), step.median(), verifyMs);
        }
    }

    public DraftCost drafter(RandomCheckpoints.MdlmShape shape, DType dtype, List<Integer> gammas, List<Integer> steps, int window)
            throws IOException {
        Path folder = work.resolve(shape.name() + "-random");
        if (!Files.exists(folder.resolve("model.safetensors"))) {
            log.printf("writing a random-weight %s drafter%n", shape.name());
            RandomCheckpoints.mdlm(folder, shape, DType.F32, 4);
        }
        Map<String, Double> costs = new LinkedHashMap<>();
        try (MaskedDiffusionLm model = MaskedDiffusionLm.load(folder, new LoadOptions(dtype, kernels))) {
            DiffusionSampler sampler = new DiffusionSampler(model, shape.vocab() - 1);
            int[] context = new int[window];
            for (int i = 0; i < window; i++) context[i] = (i * 7919) % (shape.vocab() - 1);
            for (int g : gammas) {
                for (int t : steps) {
                    for (boolean cached : new boolean[] {true, false}) {
                        Samples ms = new Samples();
                        for (int r = 0; r < repeats + 1; r++) {
                            long a = System.nanoTime();
                            sampler.draft(context, g + 1, t, SamplingConfig.greedy(), new DraftingConfig(window, false, cached), new SplittableRandom(r));
                            if (r > 0) ms.add((System.nanoTime() - a) / 1e6);
                        }
                        costs.put(g + "/" + t + "/" + (cached ? "cached" : "exact"), ms.median());
                    }
                }
            }
        }
        return new DraftCost(shape.name(), costs);
    }

    /**
     * The per-position acceptance α (the probability that a drafted token is accepted given that the ones before it were)
     * that gives {@code tokensPerRound} committed tokens per round at draft length γ: the inverse of
     * {@link #expectedTokens}, by bisection. This, not accepted ÷ drafted, is the α the formula takes: with per-position
     * α = 0.5 at γ = 3 a round commits 1.875 tokens, while accepted ÷ drafted is only 0.29.
     */
    public static double perPositionAlpha(double tokensPerRound, int gamma) {
        if (!(tokensPerRound >= 1) || tokensPerRound > gamma + 1 + 1e-9) {
            throw new IllegalArgumentException("a round commits between 1 and γ + 1 = " + (gamma + 1) + " tokens, got " + tokensPerRound);
        }
        double lo = 0;
        double hi = 1;
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (expectedTokens(mid, gamma) < tokensPerRound) lo = mid;
            else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /**
     * The speedup the projection's formula predicts from a configuration's own measured inputs (tokens per round, the AR
     * step time, draft and verification ms per round): the check that the formula explains the demo pair's measured speedup
     * before it is trusted for other shapes.
     */
    public static double predictedFromMeasured(double tokensPerRound, int gamma, double arTokensPerSecond, double draftMs, double verifyMs) {
        return projectedSpeedup(perPositionAlpha(Math.min(tokensPerRound, gamma + 1), gamma), gamma, 1000 / arTokensPerSecond, draftMs, verifyMs);
    }

    /** Expected tokens per round for i.i.d. acceptance α. */
    public static double expectedTokens(double alpha, int gamma) {
        if (alpha >= 1) return gamma + 1;
        return (1 - Math.pow(alpha, gamma + 1)) / (1 - alpha);
    }

    public static double projectedSpeedup(double alpha, int gamma, double stepMs, double draftMs, double verifyMs) {
        return expectedTokens(alpha, gamma) * stepMs / (draftMs + verifyMs);
    }

    /** The projection table: every target × (γ, T) with its inputs. */
    public static String markdown(List<TargetCost> targets, DraftCost draft, Map<String, Double> alphaByGammaSteps, String alphaSource) {
        StringBuilder b = new StringBuilder();
        b.append("Acceptance profile: ").append(alphaSource).append(". Drafter: ").append(draft.shape())
                .append(" (random weights), cached-prefix drafting. **Projection, not a measurement.**\n\n");
        b.append("| target | weights | γ | T | α (input) | E[tokens/round] | step ms | verify(γ+1) ms | draft ms | projected speedup |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (TargetCost t : targets) {
            for (var e : alphaByGammaSteps.entrySet()) {
                String[] k = e.getKey().split("/");
                int gamma = Integer.parseInt(k[0]);
                int steps = Integer.parseInt(k[1]);
                Double verify = t.verifyMs().get(gamma);
                Double d = draft.draftMs().get(gamma + "/" + steps + "/cached");
                if (verify == null || d == null) continue;
                double alpha = e.getValue();
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.3f | %.2f | %.1f | %.1f | %.1f | **%.2f×** |%n", t.shape(), t.dtype(),
                        gamma, steps, alpha, expectedTokens(alpha, gamma), t.stepMs(), verify, d, projectedSpeedup(alpha, gamma, t.stepMs(), d, verify)));
            }
        }
        b.append("\nDrafting cost of the ").append(draft.shape()).append(" shape (ms per draft of γ+1 positions after a 128-token window):\n\n");
        b.append("| γ | T | cached prefix | exact |\n|---|---|---|---|\n");
        for (var e : draft.draftMs().entrySet()) {
            String[] k = e.getKey().split("/");
            if (!k[2].equals("cached")) continue;
            b.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f |%n", k[0], k[1], e.getValue(), draft.draftMs().get(k[0] + "/" + k[1] + "/exact")));
        }
        return b.toString();
    }
}
