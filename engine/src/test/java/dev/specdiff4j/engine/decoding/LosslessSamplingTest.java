package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sampling-mode acceptance policies that claim to be lossless are checked statistically ({@link DistributionCheck}): the
 * first {@value #K} tokens of {@value #TRIALS} seeded speculative runs on the tiny random fixtures against the target's exact
 * distribution over them (top-k = 4 keeps it to 16 outcomes). The same check must catch a deliberately wrong rejection rule.
 */
class LosslessSamplingTest {
    static final int K = 2;
    static final int TRIALS = 4000;
    private static final SamplingConfig SAMPLING = new SamplingConfig(1.0, 4, 1.0, 0);
    private static final VectorKernels KERNELS = new VectorKernels(1); // tiny models: trials run in parallel instead
    private static Gpt2 target;
    private static Gpt2 smallDrafter;
    private static MaskedDiffusionLm diffusion;
    private static final int[] PROMPT = {17, 42, 123, 7, 250};
    private static DistributionCheck check;

    @BeforeAll
    static void load() throws IOException {
        target = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, KERNELS));
        smallDrafter = Gpt2.load(Fixtures.folder("gpt2-tiny-drafter"), new LoadOptions(null, KERNELS));
        diffusion = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, KERNELS));
        check = new DistributionCheck(target, PROMPT, SAMPLING, K, TRIALS);
    }

    @AfterAll
    static void close() {
        target.close();
        smallDrafter.close();
        diffusion.close();
        KERNELS.close();
    }

    private static double totalVariation(Drafter drafter, AcceptancePolicy policy, Acceptance.Rule rule, int gamma) {
        return check.totalVariation(drafter, policy, rule, gamma);
    }

    static double bound() {
        return check.bound();
    }

    private static Drafter diffusionDrafter(int steps) {
        return new DiffusionDrafter(diffusion, target.vocabSize(), steps, new DraftingConfig(32, false, true));
    }

    @Test
    void theExactDistributionIsAProperDistribution() {
        assertThat(check.exact().size()).isEqualTo(16);
        assertThat(check.exact().values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void strictIsLosslessForTheDiffusionDrafterAtAnyStepCount() {
        for (int steps : new int[] {1, 4}) {
            double tv = totalVariation(diffusionDrafter(steps), AcceptancePolicy.STRICT, null, 3);
            assertThat(tv).as("STRICT, diffusion drafter, T=%d (bound %.4f)", steps, bound()).isLessThan(bound());
        }
    }

    @Test
    void marginalIsLosslessForTheAutoregressiveDrafterAndForOneDiffusionStep() {
        double ar = totalVariation(new AutoregressiveDrafter(smallDrafter, target.vocabSize()), AcceptancePolicy.MARGINAL, null, 3);
        assertThat(ar).as("MARGINAL, autoregressive drafter (bound %.4f)", bound()).isLessThan(bound());
        double t1 = totalVariation(diffusionDrafter(1), AcceptancePolicy.MARGINAL, null, 3);
        assertThat(t1).as("MARGINAL, diffusion drafter, T=1 (bound %.4f)", bound()).isLessThan(bound());
        // a drafter that overlaps the target's support, so that acceptance and the residual both matter
        double sharp = totalVariation(TestDrafters.sharpened(target), AcceptancePolicy.MARGINAL, null, 3);
        assertThat(sharp).as("MARGINAL, sharpened-target drafter (bound %.4f)", bound()).isLessThan(bound());
        double strict = totalVariation(TestDrafters.sharpened(target), AcceptancePolicy.STRICT, null, 3);
        assertThat(strict).as("STRICT, sharpened-target drafter (bound %.4f)", bound()).isLessThan(bound());
    }

    @Test
    void aWrongRejectionRuleIsCaught() {
        // The classic bug: after rejecting a drafted token, sample from p instead of the residual max(0, p − q).
        Acceptance.Rule resampleFromTarget = (draft, rows, targetRows, vocab, sampling, random) -> {
            for (int j = 0; j < draft.length; j++) {
                double[] p = Probabilities.of(targetRows[j], vocab, sampling);
                double q = rows[j][draft[j]];
                if (!(random.uniform() < Math.min(1, p[draft[j]] / q))) return new Acceptance.Outcome(j, random.draw(p));
            }
            return new Acceptance.Outcome(draft.length, random.draw(Probabilities.of(targetRows[draft.length], vocab, sampling)));
        };
        double tv = totalVariation(TestDrafters.sharpened(target), AcceptancePolicy.MARGINAL, resampleFromTarget, 3);
        assertThat(tv).as("a broken rule must fail the same test (bound %.4f)", bound()).isGreaterThan(bound());
        // and accepting every draft token outright is caught as well
        Acceptance.Rule acceptAll = (draft, rows, targetRows, vocab, sampling, random) ->
                new Acceptance.Outcome(draft.length, random.draw(Probabilities.of(targetRows[draft.length], vocab, sampling)));
        assertThat(totalVariation(TestDrafters.sharpened(target), AcceptancePolicy.MARGINAL, acceptAll, 3)).isGreaterThan(bound());
    }

    @Test
    void marginalWithSeveralDiffusionStepsIsMeasured() {
        // Documented in docs/benchmarks.md: with T > 1 a position unmasked late was conditioned on positions to
        // its right, so q is not its true conditional; the bias is small on this toy model but real.
        double marginal = totalVariation(diffusionDrafter(4), AcceptancePolicy.MARGINAL, null, 3);
        System.out.printf("TV to the exact distribution, %d trials, bound %.4f: MARGINAL T=4 %.4f%n", TRIALS, bound(), marginal);
        assertThat(marginal).isBetween(0.0, 1.0);
    }
}
