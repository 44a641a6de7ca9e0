package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

/**
 * Token-tree verification with sampling (multi-candidate recursive rejection over siblings) keeps exactly the target's
 * distribution: the same {@link DistributionCheck} as {@link LosslessSamplingTest}, on trees from a drafter whose siblings
 * all carry real probability, from the small autoregressive drafter and from the diffusion drafter; and the check rejects
 * every {@link BrokenTreeRule}.
 */
class TokenTreeSamplingTest {
    private static final SamplingConfig SAMPLING = new SamplingConfig(1.0, 4, 1.0, 0);
    private static final VectorKernels KERNELS = new VectorKernels(1);
    private static final int[] PROMPT = {17, 42, 123, 7, 250};
    private static TinyModels models;
    private static DistributionCheck check;

    @BeforeAll
    static void load() throws IOException {
        models = TinyModels.load(KERNELS, KERNELS);
        check = new DistributionCheck(models.target(), PROMPT, SAMPLING, LosslessSamplingTest.K, LosslessSamplingTest.TRIALS);
    }

    @AfterAll
    static void close() {
        models.close();
        KERNELS.close();
    }

    @Test
    void treesKeepTheTargetsDistributionAndBrokenRulesFail() {
        SoftAssertions softly = new SoftAssertions();
        for (int budget : new int[] {3, 10}) {
            double tv = check.totalVariationTree(TestDrafters.targetTree(models.target(), 3), null, 3, budget);
            softly.assertThat(tv).as("STRICT tree of %d, target-tree drafter (bound %.4f)", budget, check.bound()).isLessThan(check.bound());
        }
        for (BrokenTreeRule rule : BrokenTreeRule.values()) {
            double tv = check.totalVariationTree(TestDrafters.targetTree(models.target(), 3), rule, 3, 10);
            softly.assertThat(tv).as("broken rule '%s' (bound %.4f)", rule, check.bound()).isGreaterThan(check.bound());
        }
        softly.assertAll();
    }

    @Test
    void treesFromTheRealDraftersKeepTheTargetsDistribution() {
        SoftAssertions softly = new SoftAssertions();
        double ar = check.totalVariationTree(new AutoregressiveDrafter(models.smallDrafter()), null, 3, 8);
        softly.assertThat(ar).as("autoregressive drafter, tree of 8 (bound %.4f)", check.bound()).isLessThan(check.bound());
        Drafter mdlm = new DiffusionDrafter(models.diffusion(), models.target().vocabSize(), 1, new DraftingConfig(32, false, true));
        double dd = check.totalVariationTree(mdlm, null, 3, SpeculativeSettings.TREE_AUTO);
        softly.assertThat(dd).as("diffusion drafter, cost-aware tree (bound %.4f)", check.bound()).isLessThan(check.bound());
        softly.assertAll();
    }
}
