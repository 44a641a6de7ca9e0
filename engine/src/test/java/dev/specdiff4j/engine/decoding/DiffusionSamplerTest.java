package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The MDLM ancestral sampler: what it must never change, how it draws, and that it is reproducible. */
class DiffusionSamplerTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static MaskedDiffusionLm model;
    private static DiffusionSampler sampler;
    private static final int[] CONTEXT = {5, 17, 200, 3, 99, 42, 42, 7, 150, 1, 2, 3};
    private static final SamplingConfig SAMPLE = new SamplingConfig(1.0, 0, 1.0, 0);

    @BeforeAll
    static void load() throws IOException {
        model = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, KERNELS));
        sampler = new DiffusionSampler(model, 300);
    }

    @AfterAll
    static void close() {
        model.close();
        KERNELS.close();
    }

    @Test
    void theContextIsNeverMaskedNorChanged() {
        for (DraftingConfig drafting : new DraftingConfig[] {new DraftingConfig(8, false, true), new DraftingConfig(64, false, false),
            new DraftingConfig(6, true, true)}) {
            for (int seed = 0; seed < 50; seed++) {
                DiffusionSampler.Draft d = sampler.draft(CONTEXT, 5, 1 + seed % 4, SAMPLE, drafting, new SplittableRandom(seed));
                int window = Math.min(drafting.window(), CONTEXT.length);
                assertThat(Arrays.copyOf(d.sequence(), window)).containsExactly(Arrays.copyOfRange(CONTEXT, CONTEXT.length - window, CONTEXT.length));
                assertThat(Arrays.copyOfRange(d.sequence(), window, window + 5)).containsExactly(d.tokens());
                assertThat(Arrays.stream(d.tokens()).allMatch(t -> t >= 0 && t < 300)).isTrue();
                if (drafting.padToModel()) {
                    assertThat(d.sequence()).hasSize(64);
                    assertThat(Arrays.copyOfRange(d.sequence(), window + 5, 64)).containsOnly(model.maskId());
                }
            }
        }
    }

    @Test
    void oneStepDrawsEveryPositionFromOnePass() {
        DiffusionSampler.Draft d = sampler.draft(CONTEXT, 6, 1, SAMPLE, new DraftingConfig(64, false, false), new SplittableRandom(3));
        assertThat(d.passes()).isEqualTo(1);
        assertThat(d.rowsComputed()).isEqualTo(CONTEXT.length + 6);
        // the rows it drew from are exactly the rows of one pass over the fully masked block
        int[] input = Arrays.copyOf(CONTEXT, CONTEXT.length + 6);
        Arrays.fill(input, CONTEXT.length, input.length, model.maskId());
        float[][] logits = model.forward(input, CONTEXT.length, 6);
        for (int j = 0; j < 6; j++) {
            assertThat(d.rows()[j]).containsExactly(Probabilities.of(logits[j], 300, SAMPLE));
        }
    }

    @Test
    void aDraftedTokenFollowsTheModelsRow() {
        // Over many seeds, position 2 of a one-step draft must be distributed as the model's row: a
        // chi-square test on the categories expected at least 10 times (the rest pooled), at p = 1e-4.
        int[] input = Arrays.copyOf(CONTEXT, CONTEXT.length + 4);
        Arrays.fill(input, CONTEXT.length, input.length, model.maskId());
        double[] p = Probabilities.of(model.forward(input, CONTEXT.length + 2, 1)[0], 300, SAMPLE);
        int trials = 6000;
        int[] counts = new int[300];
        for (int seed = 0; seed < trials; seed++) {
            counts[sampler.draft(CONTEXT, 4, 1, SAMPLE, new DraftingConfig(64, false, true), new SplittableRandom(seed)).tokens()[2]]++;
        }
        assertThat(ChiSquare.pValue(counts, p, trials)).as("drawn from the model's row").isGreaterThan(1e-4);
        // the same test rejects the row of another position
        double[] other = Probabilities.of(model.forward(input, CONTEXT.length, 1)[0], 300, SAMPLE);
        assertThat(ChiSquare.pValue(counts, other, trials)).as("not the row of another position").isLessThan(1e-4);
    }

    @Test
    void theSameSeedGivesTheSameDraft() {
        for (boolean cached : new boolean[] {true, false}) {
            DraftingConfig drafting = new DraftingConfig(32, false, cached);
            DiffusionSampler.Draft a = sampler.draft(CONTEXT, 8, 4, SAMPLE, drafting, new SplittableRandom(11));
            DiffusionSampler.Draft b = sampler.draft(CONTEXT, 8, 4, SAMPLE, drafting, new SplittableRandom(11));
            assertThat(b.tokens()).containsExactly(a.tokens());
            assertThat(b.passes()).isEqualTo(a.passes());
        }
        int differing = 0;
        for (int seed = 0; seed < 20; seed++) {
            DiffusionSampler.Draft x = sampler.draft(CONTEXT, 8, 4, SAMPLE, new DraftingConfig(32, false, true), new SplittableRandom(seed));
            DiffusionSampler.Draft y = sampler.draft(CONTEXT, 8, 4, SAMPLE, new DraftingConfig(32, false, true), new SplittableRandom(seed + 100));
            if (!Arrays.equals(x.tokens(), y.tokens())) differing++;
        }
        assertThat(differing).isGreaterThan(15);
    }

    @Test
    void cachedModeRecomputesOnlyTheBlockAfterTheFirstPass() {
        int gamma = 6;
        for (int seed = 0; seed < 10; seed++) {
            DiffusionSampler.Draft cached = sampler.draft(CONTEXT, gamma, 4, SAMPLE, new DraftingConfig(64, false, true), new SplittableRandom(seed));
            DiffusionSampler.Draft exact = sampler.draft(CONTEXT, gamma, 4, SAMPLE, new DraftingConfig(64, false, false), new SplittableRandom(seed));
            assertThat(cached.rowsComputed()).isEqualTo(CONTEXT.length + gamma + (long) (cached.passes() - 1) * gamma);
            assertThat(exact.rowsComputed()).isEqualTo((long) exact.passes() * (CONTEXT.length + gamma));
            assertThat(cached.passes()).isBetween(1, 5);
        }
    }

    @Test
    void greedySamplingTakesTheArgmaxAndKeepsNoRows() {
        DiffusionSampler.Draft d = sampler.draft(CONTEXT, 4, 1, SamplingConfig.greedy(), new DraftingConfig(64, false, true), new SplittableRandom(1));
        assertThat(d.rows()).isNull();
        int[] input = Arrays.copyOf(CONTEXT, CONTEXT.length + 4);
        Arrays.fill(input, CONTEXT.length, input.length, model.maskId());
        float[][] logits = model.forward(input, CONTEXT.length, 4);
        for (int j = 0; j < 4; j++) assertThat(d.tokens()[j]).isEqualTo(Probabilities.argmax(logits[j], 300));
    }

    @Test
    void draftsFollowTheAncestralSamplerWrittenStepByStep() {
        // the sampler draws a step's uniforms before its pass and skips passes in which nothing unmasks; MDLM's plain loop
        // (a pass whenever the rows are stale, uniforms drawn as it goes; docs/ALGORITHM.md, "The MDLM drafter") must give
        // the same drafts
        DraftingConfig exact = new DraftingConfig(64, false, false);
        for (SamplingConfig sampling : new SamplingConfig[] {SamplingConfig.greedy(), SAMPLE, new SamplingConfig(0.8, 20, 0.9, 0)}) {
            for (int seed = 0; seed < 30; seed++) {
                int gamma = 1 + seed % 8;
                int steps = 1 + seed % 6;
                int[] want = stepByStep(gamma, steps, sampling, new SplittableRandom(seed));
                DiffusionSampler.Draft got = sampler.draft(CONTEXT, gamma, steps, sampling, exact, new SplittableRandom(seed));
                assertThat(got.tokens()).as("%s seed %d γ %d T %d", sampling, seed, gamma, steps).containsExactly(want);
            }
        }
    }

    private static int[] stepByStep(int gamma, int steps, SamplingConfig sampling, SplittableRandom random) {
        int window = CONTEXT.length;
        int mask = model.maskId();
        int[] ids = Arrays.copyOf(CONTEXT, window + gamma);
        Arrays.fill(ids, window, ids.length, mask);
        float[][] logits = null;
        for (int i = 0; i < steps; i++) {
            double t = 1 - i * (1 - DiffusionSampler.EPSILON) / steps;
            double s = 1 - (i + 1) * (1 - DiffusionSampler.EPSILON) / steps;
            if (logits == null) logits = model.forward(ids, window, gamma);
            boolean changed = false;
            for (int j = 0; j < gamma; j++) {
                if (ids[window + j] != mask || random.nextDouble() < s / t) continue;
                ids[window + j] = sampling.isGreedy() ? Probabilities.argmax(logits[j], 300)
                        : Probabilities.draw(Probabilities.of(logits[j], 300, sampling), random.nextDouble());
                changed = true;
            }
            if (changed) logits = null;
        }
        for (int j = 0; j < gamma; j++) {
            if (ids[window + j] != mask) continue;
            if (logits == null) logits = model.forward(ids, window, gamma);
            ids[window + j] = Probabilities.argmax(logits[j], 300);
        }
        return Arrays.copyOfRange(ids, window, window + gamma);
    }

    @Test
    void timeGridAndUnmaskingRate() {
        // with T = 8 a position stays masked at step i with probability t_{i+1}/t_i, so about 1/8 of the
        // positions are unmasked at each step: the number of passes over many drafts reflects that
        int passes = 0;
        for (int seed = 0; seed < 40; seed++) {
            passes += sampler.draft(CONTEXT, 3, 8, SAMPLE, new DraftingConfig(64, false, true), new SplittableRandom(seed)).passes();
        }
        // three positions, each unmasked at a uniform step of 8: expected distinct steps ≈ 2.6 (+ no extra pass)
        assertThat(passes / 40.0).isBetween(2.0, 3.2);
    }

    @Test
    void invalidRequestsAreClearErrors() {
        assertThatThrownBy(() -> sampler.draft(CONTEXT, 0, 1, SAMPLE, DraftingConfig.defaults(), new SplittableRandom(1)))
                .hasMessageContaining("at least one position");
        assertThatThrownBy(() -> sampler.draft(CONTEXT, 64, 1, SAMPLE, DraftingConfig.defaults(), new SplittableRandom(1)))
                .hasMessageContaining("model length 64");
        assertThatThrownBy(() -> new DiffusionSampler(model, 299)).hasMessageContaining("plus one MASK");
    }
}
