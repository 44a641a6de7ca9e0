package dev.specdiff4j.bench.cli;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.LoadingOptions;
import dev.specdiff4j.bench.BenchConfig;
import dev.specdiff4j.bench.ConfigResult;
import dev.specdiff4j.bench.GgufExports;
import dev.specdiff4j.bench.LlamaCpp;
import dev.specdiff4j.bench.LlamaCppNative;
import dev.specdiff4j.bench.PairedRatios;
import dev.specdiff4j.bench.Plots;
import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.bench.PromptSet;
import dev.specdiff4j.bench.SpecDiffBench;
import dev.specdiff4j.bench.SweepReport;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** The SpecDiff sweep on a target and its drafters, each configuration against AR in the same run. */
@Command(name = "specdiff", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Sweep speculative decoding configurations on a target and its drafters (default: the bundled demo pair).",
            "Every configuration runs against plain AR decoding at the full thread count, in balanced order (A B B A ...) after a",
            "warm-up repetition; speedup = median of the per-repetition paired ratios with a 95% confidence interval (6 or more",
            "repetitions give one). llama.cpp decodes the same target (F16 GGUF export) against the same baseline, with the same",
            "protocol, twice: its own llama_decode through FFM (--ggml-lib; the \"vs llama.cpp\" column) and java-llama.cpp.",
            "Writes sweep.md/.csv/.json and PNG plots."})
final class BenchSpecDiff implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Option(names = "--target", paramLabel = "PATH", description = "Target GPT-2 folder or .gguf (default: the bundled demo target).") Path target;
    @Option(names = "--drafter", paramLabel = "PATH", description = "Diffusion drafter: an MDLM folder or a block drafter folder (default: the bundled MDLM).") Path drafter;
    @Option(names = "--ar-drafter", paramLabel = "PATH", description = "Autoregressive drafter for the sd rows (default: the bundled one).") Path arDrafter;
    @Option(names = "--prompts", paramLabel = "FILE", description = "One prompt per line (default: the bundled held-out prompts).") Path prompts;
    @Mixin
    SweepOptions sweep = new SweepOptions();

    @Option(names = "--exact", description = "Also exact (uncached) drafting for each γ at T=2.") boolean exact;
    @Option(names = "--overlap", description = "Also overlapped scheduling (at the main job's γ and T).") boolean overlap;
    @Option(names = "--adaptive", defaultValue = "0", description = "Also adaptive γ up to this bound (0: no).") int adaptive;
    @Option(names = "--sampling", description = "Also sampling at temperature 0.8 (strict and marginal).") boolean sampling;
    @Option(names = "--dtype", split = ",", description = "Also these weight dtypes (at the main job's γ and T).") List<String> dtypes;
    @Option(names = "--tree", split = ",", paramLabel = "N|auto|chain",
            description = "Also token-tree rows with these budgets (N nodes, auto: cost-aware, chain: cost-aware linear draft length), for specdiff and sd at depth --tree-gamma.") List<String> trees;
    @Option(names = "--tree-gamma", defaultValue = "6", description = "Depth γ of the tree rows (default: ${DEFAULT-VALUE}).") int treeGamma;
    @Option(names = "--tree-sampling", description = "Also the tree rows at temperature 0.8 (strict).") boolean treeSampling;
    @Option(names = "--no-llama", description = "Skip the llama.cpp comparators.") boolean noLlama;
    @Option(names = "--ggml-lib", paramLabel = "DIR", defaultValue = "${env:SPECDIFF4J_GGML_LIB}", description = "The bins/linux-x64 folder of "
            + "@node-llama-cpp/linux-x64 for the FFM comparator (default: $SPECDIFF4J_GGML_LIB; without it only java-llama.cpp runs).") Path ggmlLib;
    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).") int threads;
    @Option(names = "--out", defaultValue = "target/bench", description = "Folder for sweep.md/.csv/.json and the plots (default: ${DEFAULT-VALUE}).") Path out;

    /**
     * The sweep's result, for the report.
     *
     * @param llama     llama.cpp's plain decoding of the target through java-llama.cpp, measured with the same protocol against
     *                  the same AR baseline (its speedups are llama.cpp ÷ AR); null when left out
     * @param llamaFfm  the same through {@link LlamaCppNative} (llama.cpp's own decode calls); null when left out
     * @param ffmDescription the FFM comparator's CPU build and threads, or null
     */
    record Outcome(List<ConfigResult> results, ConfigResult llama, ConfigResult llamaFfm, String ffmDescription, String kernels, int promptCount,
                   Path out) {
        /** The reference of the "vs llama.cpp" column: the FFM comparator when it ran, else java-llama.cpp. */
        PairedRatios llamaOverAr() {
            ConfigResult reference = llamaFfm != null ? llamaFfm : llama;
            return reference == null ? null : reference.speedups;
        }
    }

    @Override
    public Integer call() throws Exception {
        Outcome o = run();
        if (o.llamaFfm() != null) System.out.println("llama.cpp FFM (" + o.ffmDescription() + "): tok/s " + o.llamaFfm().tokensPerSecond.format("%.1f")
                + ", ÷ AR " + o.llamaFfm().speedups.format());
        if (o.llama() != null) System.out.println("llama.cpp java-llama.cpp: tok/s " + o.llama().tokensPerSecond.format("%.1f") + ", ÷ AR " + o.llama().speedups.format());
        System.out.print(SweepReport.markdown(o.results(), o.llamaOverAr()));
        return 0;
    }

    Outcome run() throws Exception {
        LoadingOptions.checkThreads("--threads", threads);
        Path t = target != null ? target : DemoModels.target();
        Path d = drafter != null ? drafter : DemoModels.drafter();
        Path a = arDrafter != null ? arDrafter : DemoModels.arDrafter();
        Files.createDirectories(out);
        List<BenchConfig> configs = configs(new ModelSpec(t, d, a, null, null, 1, 0).defaultGamma(Mode.SPECDIFF));
        List<String> text = prompts != null ? PromptSet.file(prompts) : PromptSet.named(sweep.promptSet);
        text = text.subList(0, Math.min(sweep.promptCount, text.size()));
        Map<DType, List<BenchConfig>> groups = new LinkedHashMap<>();
        for (BenchConfig c : configs) groups.computeIfAbsent(c.dtype(), k -> new ArrayList<>()).add(c);
        if (!noLlama && ggmlLib == null) System.err.println("bench specdiff: no --ggml-lib and no SPECDIFF4J_GGML_LIB: the llama.cpp FFM comparator is left out");
        int comparators = noLlama ? 0 : ggmlLib == null ? 1 : 2;
        long total = (configs.size() + comparators) * SpecDiffBench.runsPerConfig(sweep.repeats, text.size());
        Progress progress = new Progress("bench", total, System.err);
        List<ConfigResult> results = new ArrayList<>();
        ConfigResult llama = null;
        ConfigResult llamaFfm = null;
        String[] ffmDescription = {null};
        String kernels = "";
        for (List<BenchConfig> group : groups.values()) {
            DType dtype = group.get(0).dtype();
            // every row's baseline: plain decoding at the full thread count; overlapped rows run on a generator whose
            // target and drafter have one thread each, but are still compared with the full-thread baseline
            try (Generator g = Generator.open(new ModelSpec(t, d, a, dtype, null, threads, 0));
                 Generator split = group.stream().anyMatch(BenchConfig::overlap)
                         ? Generator.open(new ModelSpec(t, d, a, dtype, null, 1, 1)) : null) {
                Tokenizer tokenizer = g.tokenizer();
                List<int[]> ids = text.stream().map(tokenizer::encode).toList();
                if (kernels.isEmpty()) kernels = g.describe(); // the first group: the weights as stored
                SpecDiffBench bench = new SpecDiffBench(SpecDiffBench.Engine.of(g), new SpecDiffBench.Options(sweep.maxTokens, sweep.repeats, ids), progress);
                if (!noLlama && dtype == null && llama == null) {
                    Path gguf = GgufExports.f16(t);
                    if (ggmlLib != null) llamaFfm = measureLlamaFfm(gguf, bench, group.get(0), ffmDescription);
                    llama = measureLlama(gguf, bench, group.get(0));
                }
                for (BenchConfig c : group) results.add(c.overlap() ? bench.measure(c, SpecDiffBench.Engine.of(split)) : bench.measure(c));
            }
        }
        Outcome outcome = new Outcome(results, llama, llamaFfm, ffmDescription[0], kernels, text.size(), out);
        PairedRatios llamaOverAr = outcome.llamaOverAr();
        Files.writeString(out.resolve("sweep.md"), SweepReport.markdown(results, llamaOverAr), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("sweep.csv"), SweepReport.csv(results, llamaOverAr), StandardCharsets.UTF_8);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("llama_cpp_ffm", ffmDescription[0]);
        json.put("llama_cpp_ffm_tokens_per_second", llamaFfm == null ? null : llamaFfm.tokensPerSecond.values());
        json.put("llama_cpp_ffm_over_ar", llamaFfm == null ? null : llamaFfm.speedups.values());
        json.put("java_llama_cpp_tokens_per_second", llama == null ? null : llama.tokensPerSecond.values());
        json.put("java_llama_cpp_over_ar", llama == null ? null : llama.speedups.values());
        json.put("max_tokens", sweep.maxTokens);
        json.put("prompt_set", prompts != null ? prompts.getFileName().toString() : sweep.promptSet);
        json.put("prompts", text.size());
        json.put("repeats", sweep.repeats);
        json.put("results", SweepReport.json(results, llamaOverAr));
        Files.writeString(out.resolve("sweep.json"), Json.writePretty(json) + "\n", StandardCharsets.UTF_8);
        Plots.speedupVsGamma(results, out.resolve("speedup-vs-gamma.png"));
        Plots.acceptanceVsGamma(results, out.resolve("acceptance-vs-gamma.png"));
        Plots.speedupVsTreeBudget(results, out.resolve("speedup-vs-tree-budget.png"));
        ConfigResult plotted = llamaFfm != null ? llamaFfm : llama;
        Plots.tokensPerSecond(results, plotted == null ? Double.NaN : plotted.tokensPerSecond.median(), out.resolve("tokens-per-second.png"));
        for (ConfigResult r : results) {
            if (!r.mismatches().isEmpty()) System.err.println("ERROR: " + r.config.label() + " differs from greedy AR: " + r.mismatches().get(0));
        }
        return outcome;
    }

    /** {@code mainJobGamma}: the γ a generation with this drafter gets by default (the block drafter's differs from the MDLM's). */
    private List<BenchConfig> configs(int mainJobGamma) {
        List<BenchConfig> c = new ArrayList<>();
        for (int g : sweep.sdGammas) c.add(new BenchConfig(Mode.SD, g, 1, 0, AcceptancePolicy.GREEDY, true, false, 0, null, sweep.window));
        for (int g : sweep.gammas) {
            for (int s : sweep.steps) c.add(new BenchConfig(Mode.SPECDIFF, g, s, 0, AcceptancePolicy.GREEDY, true, false, 0, null, sweep.window));
            if (exact) c.add(new BenchConfig(Mode.SPECDIFF, g, 2, 0, AcceptancePolicy.GREEDY, false, false, 0, null, sweep.window));
        }
        // the overlap, adaptive, sampling and dtype rows use the main job's defaults
        int bestGamma = mainJobGamma;
        int bestSteps = GenerationConfig.DEFAULT_STEPS;
        if (adaptive > 0) c.add(new BenchConfig(Mode.SPECDIFF, Math.min(bestGamma, adaptive), bestSteps, 0, AcceptancePolicy.GREEDY, true, false, adaptive, null, sweep.window));
        if (overlap) {
            c.add(new BenchConfig(Mode.SPECDIFF, bestGamma, bestSteps, 0, AcceptancePolicy.GREEDY, true, true, 0, null, sweep.window));
            c.add(new BenchConfig(Mode.SD, sweep.sdGammas.get(sweep.sdGammas.size() / 2), 1, 0, AcceptancePolicy.GREEDY, true, true, 0, null, sweep.window));
        }
        if (sampling) {
            c.add(new BenchConfig(Mode.SPECDIFF, bestGamma, bestSteps, 0.8, AcceptancePolicy.STRICT, true, false, 0, null, sweep.window));
            c.add(new BenchConfig(Mode.SPECDIFF, bestGamma, 1, 0.8, AcceptancePolicy.MARGINAL, true, false, 0, null, sweep.window));
            c.add(new BenchConfig(Mode.SD, sweep.sdGammas.get(sweep.sdGammas.size() / 2), 1, 0.8, AcceptancePolicy.MARGINAL, true, false, 0, null, sweep.window));
        }
        if (trees != null) {
            for (String t : trees) {
                int budget = dev.specdiff4j.engine.api.GenerationConfig.parseTree(t);
                for (Mode m : new Mode[] {Mode.SPECDIFF, Mode.SD}) {
                    c.add(new BenchConfig(m, treeGamma, 1, 0, AcceptancePolicy.GREEDY, true, false, 0, null, sweep.window, budget));
                    if (treeSampling) c.add(new BenchConfig(m, treeGamma, 1, 0.8, AcceptancePolicy.STRICT, true, false, 0, null, sweep.window, budget));
                }
            }
        }
        if (dtypes != null) {
            for (String dt : dtypes) c.add(new BenchConfig(Mode.SPECDIFF, bestGamma, bestSteps, 0, AcceptancePolicy.GREEDY, true, false, 0, DType.parse(dt), sweep.window));
        }
        return c;
    }

    /** llama.cpp's own decode calls (FFM) on the F16 export against our AR baseline, with the sweep's protocol. */
    private ConfigResult measureLlamaFfm(Path gguf, SpecDiffBench bench, BenchConfig any, String[] description) {
        try (LlamaCppNative llama = new LlamaCppNative(ggmlLib, gguf, threads)) {
            description[0] = llama.describe();
            return bench.measure(any.baseline(), llama.asBenchEngine());
        }
    }

    /** llama.cpp through java-llama.cpp on the F16 export against our AR baseline, with the sweep's protocol. */
    private ConfigResult measureLlama(Path gguf, SpecDiffBench bench, BenchConfig any) {
        try (LlamaCpp llama = new LlamaCpp(gguf, threads)) {
            return bench.measure(any.baseline(), llama.asBenchEngine());
        }
    }
}
