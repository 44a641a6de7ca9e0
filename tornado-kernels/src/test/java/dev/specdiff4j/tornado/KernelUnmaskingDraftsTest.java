package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.decoding.DiffusionSampler;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Greedy drafts whose unmasking steps run {@link DenoiseKernels#argmaxChunks} and {@link DenoiseKernels#unmaskGreedy} over
 * the logits rows, as the device graph does
 * (the host sends the block, the step's s/t and the uniforms, and takes back only the block), against the sampler's
 * own host step: same tokens, same passes, for every step count, block length and drafting mode.
 */
class KernelUnmaskingDraftsTest {

    /** The CPU block cache with its greedy step replaced by the kernel. */
    private static final class KernelStepPasses implements MaskedDiffusionLm.Passes {
        private final MaskedDiffusionLm.Passes cpu;
        int kernelSteps;

        KernelStepPasses(MaskedDiffusionLm.Passes cpu) {
            this.cpu = cpu;
        }

        @Override
        public float[][] full(int[] sequence, int firstRow, int rows) {
            return cpu.full(sequence, firstRow, rows);
        }

        @Override
        public float[][] refresh(int start, int[] block) {
            return cpu.refresh(start, block);
        }

        @Override
        public int[] passAndUnmask(boolean full, int[] sequence, int blockStart, int blockLength, double stayProbability, double[] stay) {
            int[] block = Arrays.copyOfRange(sequence, blockStart, blockStart + blockLength);
            float[][] rows = full ? full(sequence, blockStart, blockLength) : refresh(blockStart, block);
            int vocab = rows[0].length;
            float[] logits = new float[blockLength * vocab];
            for (int j = 0; j < blockLength; j++) System.arraycopy(rows[j], 0, logits, j * vocab, vocab);
            int[] partial = new int[blockLength * DenoiseKernels.chunks(vocab)];
            DenoiseKernels.argmaxChunks(logits, block, partial, blockLength, vocab, vocab - 1);
            DenoiseKernels.unmaskGreedy(logits, partial, block, new double[] {stayProbability, 0}, stay, new int[blockLength], blockLength,
                    vocab, vocab - 1);
            kernelSteps++;
            return block;
        }

        @Override
        public void close() {
            cpu.close();
        }
    }

    @Test
    void greedyDraftsAreTheSameWithTheKernelStep() throws IOException {
        int[] context = {5, 17, 200, 3, 99, 42, 42, 7, 150, 1, 2, 3, 250, 8};
        try (MaskedDiffusionLm cpu = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, new LoopKernels()));
             MaskedDiffusionLm kernel = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, new LoopKernels()))) {
            KernelStepPasses[] last = new KernelStepPasses[1];
            int[] steps = new int[1];
            kernel.useDevice(length -> {
                if (last[0] != null) steps[0] += last[0].kernelSteps;
                return last[0] = new KernelStepPasses(kernel.new BlockCache(length));
            }, "kernel step");
            DiffusionSampler onHost = new DiffusionSampler(cpu, 300);
            DiffusionSampler withKernel = new DiffusionSampler(kernel, 300);
            int drafts = 0;
            int passes = 0;
            for (DraftingConfig drafting : new DraftingConfig[] {new DraftingConfig(32, false, true), new DraftingConfig(8, false, false),
                new DraftingConfig(6, true, true)}) {
                for (int seed = 0; seed < 12; seed++) {
                    int gamma = 1 + seed % 7;
                    int t = 1 + seed % 5;
                    DiffusionSampler.Draft want = onHost.draft(context, gamma, t, SamplingConfig.greedy(), drafting, new SplittableRandom(seed));
                    DiffusionSampler.Draft got = withKernel.draft(context, gamma, t, SamplingConfig.greedy(), drafting, new SplittableRandom(seed));
                    assertThat(got.tokens()).as("seed %d, γ %d, T %d, %s", seed, gamma, t, drafting).containsExactly(want.tokens());
                    assertThat(got.sequence()).containsExactly(want.sequence());
                    assertThat(got.passes()).isEqualTo(want.passes());
                    assertThat(got.rowsComputed()).isEqualTo(want.rowsComputed());
                    drafts++;
                    passes += got.passes();
                }
            }
            steps[0] += last[0].kernelSteps;
            assertThat(drafts).isEqualTo(36);
            assertThat(steps[0]).as("every pass of a greedy draft is a kernel step").isEqualTo(passes);
        }
    }
}
