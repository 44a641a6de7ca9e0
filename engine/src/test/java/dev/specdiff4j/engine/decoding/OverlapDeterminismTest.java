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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** Overlapped scheduling changes only the time: for the same seed the sampled output is identical. */
class OverlapDeterminismTest {
    private static final VectorKernels TARGET_KERNELS = new VectorKernels(1);
    private static final VectorKernels DRAFT_KERNELS = new VectorKernels(1);
    private static final ExecutorService BACKGROUND = Executors.newSingleThreadExecutor();
    private static Gpt2 target;
    private static Gpt2 small;
    private static MaskedDiffusionLm diffusion;

    @BeforeAll
    static void load() throws IOException {
        target = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, TARGET_KERNELS));
        small = Gpt2.load(Fixtures.folder("gpt2-tiny-drafter"), new LoadOptions(null, DRAFT_KERNELS));
        diffusion = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, DRAFT_KERNELS));
    }

    @AfterAll
    static void close() {
        target.close();
        small.close();
        diffusion.close();
        TARGET_KERNELS.close();
        DRAFT_KERNELS.close();
        BACKGROUND.shutdownNow();
    }

    private static int[] run(Drafter drafter, int[] prompt, SpeculativeSettings settings) {
        return decode(drafter, prompt, settings).tokens();
    }

    private static SpeculativeGreedyTest.DecodeResult decode(Drafter drafter, int[] prompt, SpeculativeSettings settings) {
        List<Integer> out = new ArrayList<>();
        DecodeStats stats = new SpeculativeDecoder(target, drafter, BACKGROUND).decode(prompt, 40, settings, -1, t -> {
            for (int x : t) out.add(x);
            return true;
        }, () -> false);
        return new SpeculativeGreedyTest.DecodeResult(out.stream().mapToInt(Integer::intValue).toArray(), stats);
    }

    @Test
    void sameSeedSameOutputWithAndWithoutOverlap() {
        List<Drafter> drafters = List.of(
                new DiffusionDrafter(diffusion, 300, 2, new DraftingConfig(24, false, true)),
                new AutoregressiveDrafter(small),
                TestDrafters.sharpened(target),
                new AutoregressiveDrafter(target));
        int checked = 0;
        for (Drafter drafter : drafters) {
            for (long seed = 0; seed < 6; seed++) {
                for (AcceptancePolicy policy : new AcceptancePolicy[] {AcceptancePolicy.STRICT, AcceptancePolicy.MARGINAL}) {
                    SamplingConfig sampling = new SamplingConfig(0.9, 0, 0.95, seed);
                    int[] prompt = {(int) (seed * 37 % 300), 5, 77};
                    int[] plain = run(drafter, prompt, new SpeculativeSettings(4, 2, 8, policy, sampling, false));
                    int[] overlapped = run(drafter, prompt, new SpeculativeSettings(4, 2, 8, policy, sampling, true));
                    assertThat(overlapped).as("%s seed %d %s", drafter.describe(), seed, policy).containsExactly(plain);
                    assertThat(plain).hasSize(40);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(48);
    }

    @Test
    void earlyDraftsAreUsedWhenTheDrafterIsRight() {
        // with the target as its own drafter every draft and every guess of the bonus token is right, so
        // every round after the first uses the draft made during the previous verification
        int[] prompt = {1, 2, 3};
        SpeculativeSettings plainSettings = new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false);
        SpeculativeSettings overlapSettings = new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), true);
        Drafter self = new AutoregressiveDrafter(target);
        SpeculativeGreedyTest.DecodeResult overlapped = decode(self, prompt, overlapSettings);
        assertThat(overlapped.tokens()).containsExactly(run(self, prompt, plainSettings));
        assertThat(overlapped.stats().draftsAhead()).isEqualTo(overlapped.stats().rounds() - 1);
        // a drafter that is always wrong never gets to use an early draft
        SpeculativeGreedyTest.DecodeResult wrong = decode(TestDrafters.oracle(target, 0), prompt, overlapSettings);
        assertThat(wrong.stats().draftsAhead()).isZero();
    }
}
