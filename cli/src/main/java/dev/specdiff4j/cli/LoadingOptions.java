package dev.specdiff4j.cli;

import dev.specdiff4j.engine.tensor.DType;
import picocli.CommandLine.Option;

/** How models are loaded and what computes them; shared by the commands that run models. */
public final class LoadingOptions {
    @Option(names = "--dtype", paramLabel = "f32|f16|bf16|q8_0|q4_0|q4_k|q5_k|q6_k", description = "Convert the weights at load time (default: as stored).")
    String dtype;

    @Option(names = "--kernels", paramLabel = "NAME", description = "Kernel implementation: vector or reference (default: the best available).")
    String kernels;

    @Option(names = {"-t", "--threads"}, description = "Threads of the kernels, at most the processor count (default: all processors).")
    Integer threads;

    DType dtype() {
        return dtype == null ? null : DType.parse(dtype);
    }

    int threads() {
        return threads != null ? checkThreads("--threads", threads) : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Refuses more kernel threads than processors: the workers spin while they wait for work, so extra
     * threads only take turns on the same cores (and thousands of them exhaust the machine).
     */
    public static int checkThreads(String option, int value) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (value > processors) {
            throw new IllegalArgumentException(option + " " + value + " is more than the " + processors
                    + " processors available; use at most " + processors);
        }
        return value;
    }
}
