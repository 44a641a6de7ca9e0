package dev.specdiff4j.bench;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ProfilingKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.LoadedModel;
import dev.specdiff4j.engine.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where a forward pass spends its time: passes of k rows after a cached context, every kernel call timed
 * ({@link ProfilingKernels}), per operation and weight shape. The passes are what decoding (1 row), verification (γ+1 rows)
 * and batched serving (one row per sequence) run.
 */
public final class PassProfile {
    /** One pass size: the median wall time of a pass and the kernels' time per pass (averaged over the timed passes). */
    public record Pass(int rows, double medianMillis, double meanMillis, List<ProfilingKernels.Entry> kernels, int passes) {
        /** Mean milliseconds per pass spent in the kernels (the rest of {@link #meanMillis} is the model's own code between calls). */
        public double kernelMillis() {
            return kernels.stream().mapToLong(ProfilingKernels.Entry::nanos).sum() / 1e6 / passes;
        }

        /** Milliseconds per pass in the operations whose name starts with {@code prefix}. */
        public double millis(String prefix) {
            return kernels.stream().filter(e -> e.operation().startsWith(prefix)).mapToLong(ProfilingKernels.Entry::nanos).sum() / 1e6 / passes;
        }

        /** Weight bytes the matmuls read per second, GB/s. */
        public double matmulGigabytesPerSecond() {
            long bytes = 0;
            long nanos = 0;
            for (ProfilingKernels.Entry e : kernels) {
                if (!e.operation().startsWith("matmul")) continue;
                bytes += e.weightBytes() * e.calls();
                nanos += e.nanos();
            }
            return nanos == 0 ? 0 : (double) bytes / nanos;
        }
    }

    /** What was profiled, for the report's heading; {@code peak}, when measured, scales each matmul's GFLOP/s. */
    public record Result(String model, int context, List<Pass> passes, FmaPeak.Result peak) {
        public Result withPeak(FmaPeak.Result measured) {
            return new Result(model, context, passes, measured);
        }
    }

    private PassProfile() {
    }

    /**
     * Loads {@code model} (a GPT-2 or Llama-family folder or GGUF file; {@code dtype} null keeps the file's) on {@code kernels},
     * caches {@code context} tokens, then for each size in {@code rows}: {@code warmup} untimed passes, then {@code passes}
     * timed rounds in which every size takes its turn (forward, then reverse order); each pass is followed by truncating the
     * cache back to the context. The warm-ups all run before any pass is timed, so that every kernel is compiled first.
     */
    public static Result run(Path model, DType dtype, Kernels kernels, int context, int[] rows, int warmup, int passes,
                             Consumer<String> progress) throws IOException {
        if (rows.length == 0) throw new IllegalArgumentException("no pass sizes to profile");
        if (passes < 1 || warmup < 0) throw new IllegalArgumentException("passes must be at least 1 and warm-ups at least 0");
        if (context < 1) throw new IllegalArgumentException("the context must hold at least one token, got " + context);
        ProfilingKernels profiler = new ProfilingKernels(kernels);
        try (LoadedModel m = LoadedModel.load(model, new LoadOptions(dtype, profiler))) {
            int largest = Arrays.stream(rows).max().getAsInt();
            if (Arrays.stream(rows).min().getAsInt() < 1) throw new IllegalArgumentException("pass sizes must be at least 1 row");
            if (context + largest > m.contextLength()) {
                throw new IllegalArgumentException("a context of " + context + " tokens and a pass of " + largest + " rows exceed the model's "
                        + m.contextLength() + " positions");
            }
            int[] tokens = new int[context + largest];
            for (int i = 0; i < tokens.length; i++) tokens[i] = (int) ((i * 7919L + 13) % m.vocabSize());
            try (CausalLanguageModel.Session s = m.newSession()) {
                s.forward(Arrays.copyOf(tokens, context), 1);
                for (int k : rows) {
                    progress.accept(String.format(Locale.ROOT, "warming up the %d-row pass", k));
                    for (int i = 0; i < warmup; i++) pass(s, tokens, context, k);
                }
                // the sizes take turns, in forward then reverse order, so that the machine's drift falls on all of them alike
                progress.accept(String.format(Locale.ROOT, "timing %d rounds of every pass size", passes));
                double[][] millis = new double[rows.length][passes];
                List<Map<String, ProfilingKernels.Entry>> kernelTimes = new ArrayList<>();
                for (int q = 0; q < rows.length; q++) kernelTimes.add(new LinkedHashMap<>());
                for (int i = 0; i < passes; i++) {
                    for (int j = 0; j < rows.length; j++) {
                        int q = i % 2 == 0 ? j : rows.length - 1 - j;
                        profiler.reset();
                        millis[q][i] = pass(s, tokens, context, rows[q]);
                        for (ProfilingKernels.Entry e : profiler.entries()) kernelTimes.get(q).merge(e.operation(), e, PassProfile::sum);
                    }
                }
                List<Pass> result = new ArrayList<>();
                for (int q = 0; q < rows.length; q++) {
                    double mean = Arrays.stream(millis[q]).average().orElseThrow();
                    Arrays.sort(millis[q]);
                    List<ProfilingKernels.Entry> entries = new ArrayList<>(kernelTimes.get(q).values());
                    entries.sort(Comparator.comparingLong(ProfilingKernels.Entry::nanos).reversed().thenComparing(ProfilingKernels.Entry::operation));
                    result.add(new Pass(rows[q], millis[q][passes / 2], mean, entries, passes));
                }
                return new Result(m.describe(), context, result, null);
            }
        }
    }

    private static ProfilingKernels.Entry sum(ProfilingKernels.Entry a, ProfilingKernels.Entry b) {
        return new ProfilingKernels.Entry(a.operation(), a.calls() + b.calls(), a.nanos() + b.nanos(), a.weightBytes(), a.flops());
    }

    private static double pass(CausalLanguageModel.Session s, int[] tokens, int context, int k) {
        int[] rows = Arrays.copyOfRange(tokens, context, context + k);
        long start = System.nanoTime();
        s.forward(rows);
        double millis = (System.nanoTime() - start) / 1e6;
        s.truncate(context);
        return millis;
    }

    /** The profile as Markdown: a summary table, then one table per pass size. */
    public static String markdown(Result r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "model: %s; passes after a cached context of %d tokens%n%n", r.model(), r.context()));
        if (r.peak() != null) b.append("The cores' multiply-add peak, measured in this JVM before the passes: ").append(r.peak().describe()).append(".\n\n");
        Pass one = r.passes().stream().filter(p -> p.rows() == 1).findFirst().orElse(null);
        b.append("| rows | pass ms, median | ÷ 1-row pass | pass ms, mean | kernels ms, mean | matmul ms | matmul GB/s of weights | attention ms | other kernels ms |\n");
        b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Pass p : r.passes()) {
            double matmul = p.millis("matmul");
            double attention = p.millis("attention") + p.millis("pagedAttention") + p.millis("treeAttention");
            b.append(String.format(Locale.ROOT, "| %d | %.3f | %s | %.3f | %.3f | %.3f | %.1f | %.3f | %.3f |%n", p.rows(), p.medianMillis(),
                    one == null ? "–" : String.format(Locale.ROOT, "%.2f", p.medianMillis() / one.medianMillis()), p.meanMillis(), p.kernelMillis(), matmul,
                    p.matmulGigabytesPerSecond(), attention, p.kernelMillis() - matmul - attention));
        }
        for (Pass p : r.passes()) {
            b.append(String.format(Locale.ROOT, "%n%d-row pass, %.3f ms (median of %d; mean %.3f); kernel time per pass (means):%n%n", p.rows(),
                    p.medianMillis(), p.passes(), p.meanMillis()));
            b.append("| operation | calls per pass | ms per pass | share of kernel time | GB/s of weights | GFLOP/s | % of peak |\n");
            b.append("|---|---:|---:|---:|---:|---:|---:|\n");
            double total = p.kernelMillis();
            for (ProfilingKernels.Entry e : p.kernels()) {
                double ms = e.nanos() / 1e6 / p.passes();
                b.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.1f %% | %s | %s | %s |%n", e.operation(), calls(e.calls(), p.passes()), ms,
                        total == 0 ? 0 : 100 * ms / total, e.weightBytes() == 0 ? "–" : String.format(Locale.ROOT, "%.1f", e.gigabytesPerSecond()),
                        e.flops() == 0 ? "–" : String.format(Locale.ROOT, "%.1f", e.gigaflopsPerSecond()),
                        e.flops() == 0 || r.peak() == null ? "–" : String.format(Locale.ROOT, "%.0f %%", 100 * e.gigaflopsPerSecond() / r.peak().gigaflops())));
            }
        }
        return b.toString();
    }

    private static String calls(long calls, int passes) {
        return calls % passes == 0 ? Long.toString(calls / passes) : String.format(Locale.ROOT, "%.1f", (double) calls / passes);
    }
}
