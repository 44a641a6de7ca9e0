package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What to load.
 *
 * @param target           the target model: an HF folder or a GGUF file (GPT-2 or a Llama-layout family)
 * @param diffusionDrafter an MDLM folder or a block drafter folder (told apart by its config.json), or null
 * @param arDrafter        a small model of the target's vocabulary (HF folder or GGUF) for classic speculative decoding, or null
 * @param dtype            convert weight matrices to this dtype at load time, or null to keep the file's
 * @param kernels          kernel implementation by name ("vector", "reference", ...), or null for the best available
 * @param threads          threads of the target's kernels
 * @param drafterThreads   0: the drafters share the target's kernels; n > 0: they get their own kernels with
 *                         n threads (needed to draft while the target verifies, --overlap)
 * @param targetDevice     "cpu" (or null), or a device backend with an optional device id: "tornado", "tornado:0:1"
 * @param drafterDevice    the same for the diffusion drafter's denoising passes
 * @param contextSize      tokens a generation may hold, prompt and reply together (at most the target's context), or 0
 *                         for the target's whole context
 */
public record ModelSpec(Path target, Path diffusionDrafter, Path arDrafter, DType dtype, String kernels, int threads,
                        int drafterThreads, String targetDevice, String drafterDevice, int contextSize) {
    public ModelSpec(Path target, Path diffusionDrafter, Path arDrafter, DType dtype, String kernels, int threads, int drafterThreads) {
        this(target, diffusionDrafter, arDrafter, dtype, kernels, threads, drafterThreads, null, null, 0);
    }

    public ModelSpec(Path target, Path diffusionDrafter, Path arDrafter, DType dtype, String kernels, int threads, int drafterThreads,
                     String targetDevice, String drafterDevice) {
        this(target, diffusionDrafter, arDrafter, dtype, kernels, threads, drafterThreads, targetDevice, drafterDevice, 0);
    }

    public ModelSpec {
        if (target == null) throw new IllegalArgumentException("a target model is required");
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (drafterThreads < 0) throw new IllegalArgumentException("drafter threads must be >= 0, got " + drafterThreads);
        if (contextSize < 0) throw new IllegalArgumentException("the context size must be 0 (the model's) or more, got " + contextSize);
    }

    public static ModelSpec of(Path target) {
        return new ModelSpec(target, null, null, null, null, Runtime.getRuntime().availableProcessors(), 0);
    }

    /**
     * The draft length γ a generation in {@code mode} uses when none is given ({@link GenerationConfig#defaultGamma}),
     * reading only the diffusion drafter's config.
     */
    public int defaultGamma(Mode mode) throws IOException {
        if (mode != Mode.SPECDIFF || diffusionDrafter == null) return GenerationConfig.DEFAULT_GAMMA;
        try (ModelFiles files = ModelFiles.open(diffusionDrafter)) {
            if (files.architecture() != ModelFiles.Architecture.BLOCK_DRAFTER || files.config() == null) return GenerationConfig.DEFAULT_GAMMA;
            return GenerationConfig.defaultGamma(mode, true, files.config().integer("block_size") - 1);
        } catch (RuntimeException e) {
            return GenerationConfig.BLOCK_DRAFTER_GAMMA; // a malformed config: loading it reports what is wrong
        }
    }

    public ModelSpec withDevices(String target, String drafter) {
        return new ModelSpec(this.target, diffusionDrafter, arDrafter, dtype, kernels, threads, drafterThreads, target, drafter, contextSize);
    }

    public ModelSpec withDiffusionDrafter(Path p) {
        return new ModelSpec(target, p, arDrafter, dtype, kernels, threads, drafterThreads, targetDevice, drafterDevice, contextSize);
    }

    public ModelSpec withArDrafter(Path p) {
        return new ModelSpec(target, diffusionDrafter, p, dtype, kernels, threads, drafterThreads, targetDevice, drafterDevice, contextSize);
    }

    public ModelSpec withDtype(DType d) {
        return new ModelSpec(target, diffusionDrafter, arDrafter, d, kernels, threads, drafterThreads, targetDevice, drafterDevice, contextSize);
    }

    public ModelSpec withKernels(String name, int threadCount, int drafterThreadCount) {
        return new ModelSpec(target, diffusionDrafter, arDrafter, dtype, name, threadCount, drafterThreadCount, targetDevice, drafterDevice, contextSize);
    }

    /** Caps the tokens a generation may hold, prompt and reply together, below the target's context (0: the whole context). */
    public ModelSpec withContextSize(int tokens) {
        return new ModelSpec(target, diffusionDrafter, arDrafter, dtype, kernels, threads, drafterThreads, targetDevice, drafterDevice, tokens);
    }
}
