package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.SamplingConfig;

import java.io.Serializable;
import java.util.List;

/**
 * Everything a task needs to complete its rows, sent from the driver to the executors. The model paths are resolved on
 * each executor ({@link ModelPaths}); the generation settings are checked on the driver, before any task runs.
 *
 * @param target      the target model (an HF GPT-2 folder or a GGUF file)
 * @param drafter     the diffusion drafter (MDLM folder), or null
 * @param arDrafter   the small autoregressive drafter, or null
 * @param threads     kernel threads per executor JVM; 0: the CPUs of one task ({@code spark.task.cpus})
 * @param seed        the job's seed: each row's sampling seed is derived from it and the row's key ({@link RowSeeds})
 */
public record CompletionSettings(String target, String drafter, String arDrafter, int threads, String mode, int maxTokens,
                                 double temperature, int topK, double topP, int gamma, int steps, List<String> stop,
                                 long seed) implements Serializable {

    public CompletionSettings {
        if (target == null || target.isBlank()) throw new IllegalArgumentException("a target model path is required");
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = the CPUs of one task), got " + threads);
        drafter = blankToNull(drafter);
        arDrafter = blankToNull(arDrafter);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** Builds the generation settings once, so that invalid ones are refused on the driver with the engine's message. */
    public void check() {
        GenerationConfig config = config(seed);
        if (config.mode() == Mode.SPECDIFF && drafter == null) {
            throw new IllegalArgumentException("mode specdiff needs a diffusion drafter: set drafterPath (--drafter)");
        }
        if (config.mode() == Mode.SD && arDrafter == null) {
            throw new IllegalArgumentException("mode sd needs an autoregressive drafter: set arDrafterPath (--ar-drafter)");
        }
    }

    /** One row's settings: the same for every row except the sampling seed. */
    public GenerationConfig config(long rowSeed) {
        return GenerationConfig.builder()
                .mode(Mode.parse(mode))
                .maxTokens(maxTokens)
                .sampling(new SamplingConfig(temperature, topK, topP, rowSeed))
                .gamma(gamma)
                .steps(steps)
                .stop(stop)
                .build();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
