package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.testing.Fixtures;

import java.io.IOException;

/**
 * The tiny target and the two real drafters (small autoregressive, masked diffusion) that the speculative-decoding tests
 * share; closing closes the models, not the kernels they were loaded with.
 */
record TinyModels(Gpt2 target, Gpt2 smallDrafter, MaskedDiffusionLm diffusion) implements AutoCloseable {
    static TinyModels load(VectorKernels targetKernels, VectorKernels draftKernels) throws IOException {
        Gpt2 target = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, targetKernels));
        Gpt2 smallDrafter = Gpt2.load(Fixtures.folder("gpt2-tiny-drafter"), new LoadOptions(null, draftKernels));
        MaskedDiffusionLm diffusion = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, draftKernels));
        return new TinyModels(target, smallDrafter, diffusion);
    }

    @Override
    public void close() {
        target.close();
        smallDrafter.close();
        diffusion.close();
    }
}
