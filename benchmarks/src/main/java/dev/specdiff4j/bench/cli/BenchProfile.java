package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.FmaPeak;
import dev.specdiff4j.bench.PassProfile;
import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.engine.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "profile", mixinStandardHelpOptions = true,
        description = {"Where a forward pass spends its time: passes of 1, 2, 4, ... rows after a cached context (a decoding step, a",
                "verification pass, a batched step), every kernel call timed, per operation and weight shape, with the weights' GB/s",
                "and the GFLOP/s of each matmul. Default: the bundled demo target."})
final class BenchProfile implements Callable<Integer> {
    @Mixin
    PassOptions pass;

    @Option(names = "--dtype", description = "Convert the weights to this dtype when loading (default: as the file holds them).")
    String dtype;

    @Option(names = "--kernels", defaultValue = "vector", description = "Kernels: vector or reference (default: ${DEFAULT-VALUE}).")
    String kernels;

    @Option(names = "--warmup", defaultValue = "50", description = "Untimed passes of each size first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--passes", defaultValue = "50", description = "Timed rounds, each a pass of every size (default: ${DEFAULT-VALUE}).")
    int passes;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        spec.commandLine().getOut().print(run());
        spec.commandLine().getOut().flush();
        return 0;
    }

    String run() throws Exception {
        DType type = dtype == null ? null : DType.parse(dtype);
        int[] rows = pass.rows();
        Progress progress = new Progress("profile", rows.length + 1L, System.err);
        try (Kernels k = KernelsSelection.create(kernels, pass.threads())) {
            FmaPeak.Result peak = FmaPeak.measure(pass.threads());
            PassProfile.Result r = PassProfile.run(pass.model(), type, k, pass.context, rows, warmup, passes, stage -> progress.step());
            progress.done();
            return PassProfile.markdown(r.withPeak(peak));
        }
    }
}
