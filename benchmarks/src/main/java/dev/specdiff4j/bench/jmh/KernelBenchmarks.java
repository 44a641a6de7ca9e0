package dev.specdiff4j.bench.jmh;

import dev.specdiff4j.bench.FmaPeak;
import dev.specdiff4j.engine.tensor.DType;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.Locale;

/**
 * Runs the JMH benchmarks and prints Markdown tables: the matmul with GB/s (weight bytes read per
 * second) and GFLOP/s, and the denoising step. Arguments are JMH include patterns (default: all).
 */
public final class KernelBenchmarks {
    private KernelBenchmarks() {
    }

    /** Arguments are JMH's own (include patterns, -p param=values, -f, -wi, -i ...); no pattern runs both benchmarks. */
    public static void main(String[] args) throws RunnerException, org.openjdk.jmh.runner.options.CommandLineOptionException {
        System.out.print(run(args));
    }

    /** Runs JMH with these arguments and returns the Markdown tables. */
    public static String run(String[] args) throws RunnerException, org.openjdk.jmh.runner.options.CommandLineOptionException {
        org.openjdk.jmh.runner.options.CommandLineOptions cli = new org.openjdk.jmh.runner.options.CommandLineOptions(args);
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli);
        if (cli.getIncludes().isEmpty()) {
            options.include(MatmulBenchmark.class.getSimpleName()).include(DenoiseStepBenchmark.class.getSimpleName());
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        // the peak of as many threads as the matmul benchmarks use, measured after them (nothing else runs then)
        FmaPeak.Result peak;
        try {
            peak = FmaPeak.measure(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        StringBuilder out = new StringBuilder("\n");
        out.append("The cores' multiply-add peak: ").append(peak.describe()).append(".\n\n");
        out.append("| dtype | shape (rows×cols) | k | µs per call | GB/s (weights) | GFLOP/s | % of peak |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        for (RunResult r : results) {
            if (!r.getParams().getBenchmark().endsWith("matmul")) continue;
            String dtype = r.getParams().getParam("dtype");
            String shape = r.getParams().getParam("shape");
            int k = Integer.parseInt(r.getParams().getParam("k"));
            String[] s = shape.split("x");
            long rows = Long.parseLong(s[0]);
            long cols = Long.parseLong(s[1]);
            double micros = r.getPrimaryResult().getScore();
            double bytes = DType.parse(dtype).bytesFor(rows * cols);
            double flops = 2.0 * rows * cols * k;
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f ± %.1f | %.1f | %.1f | %.0f %% |%n", dtype, shape, k, micros,
                    r.getPrimaryResult().getScoreError(), bytes / micros / 1e3, flops / micros / 1e3, 100 * flops / micros / 1e3 / peak.gigaflops()));
        }
        out.append("\n| drafter shape | step | ms per step (16-token block after 256 tokens) |\n|---|---|---|\n");
        for (RunResult r : results) {
            if (!r.getParams().getBenchmark().endsWith("step")) continue;
            out.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f |%n", r.getParams().getParam("shape"), r.getParams().getParam("mode"),
                    r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()));
        }
        return out.toString();
    }
}
