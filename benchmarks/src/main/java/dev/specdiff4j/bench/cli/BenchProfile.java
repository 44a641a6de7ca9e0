package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.PassProfile;
import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.engine.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "profile", mixinStandardHelpOptions = true,
        description = {"Where a forward pass spends its time: passes of 1, 2, 4, ... rows after a cached context (a decoding step, a",
                "verification pass, a batched step), every kernel call timed, per operation and weight shape, with the weights' GB/s",
                "and the GFLOP/s of each matmul. Default: the bundled demo target."})
final class BenchProfile implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "A GPT-2 or Llama-family folder or GGUF file (default: the demo target).")
    Path model;

    @Option(names = "--dtype", description = "Convert the weights to this dtype when loading (default: as the file holds them).")
    String dtype;

    @Option(names = "--kernels", defaultValue = "vector", description = "Kernels: vector or reference (default: ${DEFAULT-VALUE}).")
    String kernels;

    @Option(names = {"-t", "--threads"}, defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--context", defaultValue = "64", description = "Tokens cached before the timed passes (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--rows", split = ",", defaultValue = "1,2,4,5,8,16", description = "Rows per pass (default: ${DEFAULT-VALUE}).")
    List<Integer> rows;

    @Option(names = "--warmup", defaultValue = "50", description = "Untimed passes of each size first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--passes", defaultValue = "50", description = "Timed passes of each size (default: ${DEFAULT-VALUE}).")
    int passes;

    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        Path path = model != null ? model : DemoModels.target();
        DType type = dtype == null ? null : DType.parse(dtype);
        Progress progress = new Progress("profile", 2L * rows.size(), System.err);
        try (Kernels k = KernelsSelection.create(kernels, threads)) {
            PassProfile.Result r = PassProfile.run(path, type, k, context, rows.stream().mapToInt(Integer::intValue).toArray(), warmup, passes,
                    stage -> progress.step());
            progress.done();
            return PassProfile.markdown(r);
        }
    }
}
