package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lossless sampling check on the bundled, trained demo pair, where drafts are often accepted (on the random fixtures
 * of {@link LosslessSamplingTest} they rarely are, so a biased acceptance rule has little room to show). Also measures the
 * bias of MARGINAL acceptance with several denoising steps, which is not exact in principle (docs/benchmarks.md).
 */
class DemoPairSamplingTest {
    private static final Path DEMO = Path.of("..", "models", "demo");
    private static final SamplingConfig SAMPLING = new SamplingConfig(1.0, 4, 1.0, 0);
    private static final VectorKernels KERNELS = new VectorKernels(1); // trials run in parallel instead
    private static Gpt2 target;
    private static Gpt2 arDrafter;
    private static MaskedDiffusionLm diffusion;
    private static DistributionCheck check;

    @BeforeAll
    static void load() throws IOException {
        target = Gpt2.load(DEMO.resolve("target"), new LoadOptions(null, KERNELS));
        arDrafter = Gpt2.load(DEMO.resolve("ar-drafter"), new LoadOptions(null, KERNELS));
        diffusion = MaskedDiffusionLm.load(DEMO.resolve("drafter"), new LoadOptions(null, KERNELS));
        int[] prompt = Tokenizers.load(DEMO.resolve("tokenizer.json")).encode("The jury said");
        check = new DistributionCheck(target, prompt, SAMPLING, 2, 2000); // about 15 ms a trial: 4 rows in about two minutes
    }

    @AfterAll
    static void close() {
        target.close();
        arDrafter.close();
        diffusion.close();
        KERNELS.close();
    }

    private static Drafter diffusionDrafter(int steps) {
        return new DiffusionDrafter(diffusion, target.vocabSize(), steps, DraftingConfig.defaults());
    }

    @Test
    void exactPoliciesReproduceTheTargetsDistribution() {
        assertThat(check.exact()).hasSize(16);
        double strict = check.totalVariation(diffusionDrafter(2), AcceptancePolicy.STRICT, null, 3);
        assertThat(strict).as("STRICT, demo diffusion drafter, T=2 (bound %.4f)", check.bound()).isLessThan(check.bound());
        double marginal = check.totalVariation(diffusionDrafter(1), AcceptancePolicy.MARGINAL, null, 3);
        assertThat(marginal).as("MARGINAL, demo diffusion drafter, T=1 (bound %.4f)", check.bound()).isLessThan(check.bound());
        double sd = check.totalVariation(new AutoregressiveDrafter(arDrafter, target.vocabSize()), AcceptancePolicy.MARGINAL, null, 3);
        assertThat(sd).as("MARGINAL, demo autoregressive drafter (bound %.4f)", check.bound()).isLessThan(check.bound());
    }

    @Test
    void marginalWithSeveralDiffusionStepsIsMeasured() {
        double marginal = check.totalVariation(diffusionDrafter(4), AcceptancePolicy.MARGINAL, null, 3);
        System.out.printf("demo pair, TV to the exact distribution, %d trials, bound %.4f: MARGINAL T=4 %.4f%n",
                check.trials(), check.bound(), marginal);
        assertThat(marginal).isBetween(0.0, 1.0);
    }
}
