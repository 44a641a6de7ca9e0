package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.bench.ConfigResult;
import dev.specdiff4j.bench.DecodeBenchmark;
import dev.specdiff4j.bench.MachineInfo;
import dev.specdiff4j.bench.SweepReport;
import dev.specdiff4j.engine.api.GenerationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Runs the benchmarks and regenerates docs/benchmarks.md with its plots and raw data under docs/bench/:",
            "the SpecDiff sweep on the demo pair (with sampling, overlap, adaptive γ, exact drafting and dtypes), plain decoding",
            "against llama.cpp, the round costs, the scale projection, the tokenizer throughput, the server under load and faults and",
            "continuous batching under 1-16 concurrent clients and batch generation on Apache Spark against one Generator",
            "(`--only spark` runs that section alone).",
            "Every number in the document comes from this run; hand-written analyses live in docs/notes/, each with its own date",
            "and command."})
final class BenchReport implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Mixin
    SweepOptions sweepOptions = new SweepOptions();

    @Spec
    CommandSpec spec;

    @Option(names = "--docs", defaultValue = "docs", description = "The docs folder: benchmarks.md is written there, data and plots under bench/ (default: ${DEFAULT-VALUE}).") Path docs;
    @Option(names = "--skip-projection", description = "Leave out the scale projection (it writes and loads multi-GB random models).") boolean skipProjection;
    @Option(names = "--projection-shapes", split = ",", defaultValue = "gpt2,gpt2-medium,gpt2-large,gpt2-xl", description = "Target shapes of the scale projection (default: ${DEFAULT-VALUE}).") List<String> projectionShapes;
    @Option(names = "--kernels", description = "Also the JMH kernel benchmarks (about 15 more minutes).") boolean kernelBenchmarks;
    @Option(names = "--skip-exact", description = "Leave out the exact (uncached) drafting rows.") boolean skipExact;
    @Option(names = "--skip-overlap", description = "Leave out the overlapped drafting rows.") boolean skipOverlap;
    @Option(names = "--skip-sampling", description = "Leave out the sampling rows (temperature 0.8).") boolean skipSampling;
    @Option(names = "--adaptive", defaultValue = "16", description = "Adaptive-γ row up to this bound, 0 for none (default: ${DEFAULT-VALUE}).") int adaptive;
    @Option(names = "--skip-server", description = "Leave out the server under load and faults (`bench server`).") boolean skipServer;
    @Option(names = "--skip-concurrency", description = "Leave out continuous batching under 1-16 clients (`bench concurrency`).") boolean skipConcurrency;
    @Option(names = "--dtype", split = ",", defaultValue = "f32,q8_0", description = "Rows with the weights converted to these dtypes, or none (default: ${DEFAULT-VALUE}).") List<String> dtypes;
    @Option(names = "--skip-spark", description = "Leave out batch generation on Apache Spark (`batch-bench`).") boolean skipSpark;
    @Option(names = "--tree", split = ",", paramLabel = "N|auto",
            description = "Token-tree rows in the demo-pair sweep with these node budgets (N or auto), none by default.") List<String> trees;
    @Option(names = "--tree-gamma", defaultValue = "6", description = "Depth γ of the tree rows (default: ${DEFAULT-VALUE}).") int treeGamma;
    @Option(names = "--ggml-lib", paramLabel = "DIR", defaultValue = "${env:SPECDIFF4J_GGML_LIB}", description = "The bins/linux-x64 folder of "
            + "@node-llama-cpp/linux-x64 for the sweep's FFM llama.cpp comparator (default: $SPECDIFF4J_GGML_LIB).") Path ggmlLib;
    @Option(names = "--block-drafter", paramLabel = "DIR", defaultValue = "models/demo/block-drafter",
            description = "The target-conditioned block drafter of its own section (default: ${DEFAULT-VALUE}).") Path blockDrafter;
    @Option(names = "--skip-block-drafter", description = "Leave out the block drafter's section.") boolean skipBlockDrafter;
    @Option(names = "--only", paramLabel = "SECTION", description = {"Run one section alone and print its Markdown on stdout instead of writing",
        "benchmarks.md (which only a full run writes). Sections: spark, concurrency."}) String only;

    @Override
    public Integer call() throws Exception {
        if (only != null) {
            switch (only) {
                case "spark" -> System.out.print(SparkSection.HEADING + SparkSection.markdown());
                case "concurrency" -> System.out.print(ConcurrencySection.HEADING + ConcurrencySection.markdown(docs.resolve("bench")));
                default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--only " + only
                        + ": the sections that run alone are: spark, concurrency");
            }
            return 0;
        }
        long start = System.nanoTime();
        String commandLine = String.join(" ", Stream.concat(Stream.of("bin/specdiff4j"),
                spec.commandLine().getParseResult().originalArgs().stream()).toList());
        Path data = docs.resolve("bench");
        Files.createDirectories(data);
        BenchSpecDiff sweep = new BenchSpecDiff();
        sweep.sweep = sweepOptions;
        sweep.exact = !skipExact;
        sweep.overlap = !skipOverlap;
        sweep.adaptive = adaptive;
        sweep.sampling = !skipSampling;
        sweep.dtypes = dtypes.equals(List.of("none")) ? List.of() : dtypes;
        sweep.threads = 2;
        sweep.out = data;
        sweep.trees = trees;
        sweep.treeGamma = treeGamma;
        sweep.ggmlLib = ggmlLib; // the sweep object is not parsed by picocli, so none of its own defaults apply
        BenchSpecDiff.Outcome outcome = sweep.run();

        // each of these in a JVM of its own (FreshJvm says why)
        String[] blockArgs = {"bench", "specdiff", "--drafter", blockDrafter.toString(), "--gamma", "4", "--steps", "1", "--sd-gamma", "4",
            "--sampling", "--no-llama", "--prompt-count", "" + sweepOptions.promptCount, "--max-tokens", "" + sweepOptions.maxTokens,
            "--repeats", "" + sweepOptions.repeats, "--threads", "2", "--out", data.resolve("block-drafter").toString()};
        String blockSection = skipBlockDrafter ? "Not rerun by this report (`--skip-block-drafter`).\n"
                : "`" + String.join(" ", blockArgs) + "`, in a JVM of its own (same protocol and prompts as the sweep above; the "
                + "sampling rows use the main job's γ with this drafter, " + GenerationConfig.BLOCK_DRAFTER_GAMMA + "):\n\n" + FreshJvm.run(blockArgs);
        String decodeTable = FreshJvm.run("bench", "decode", "--threads", "2", "--tokens", "64", "--repeats", "6",
                "--dtype", String.join(",", DecodeBenchmark.DTYPES));
        String projection = "Not rerun by this report (`--skip-projection`: it writes and loads about 14 GB of random models).\n";
        if (!skipProjection) {
            projection = FreshJvm.run("bench", "project", "--shapes", String.join(",", projectionShapes), "--dtype", "f32,q8_0",
                    "--threads", "2", "--repeats", "3", "--out", data.toString(), "--alpha-from", data.resolve("sweep.json").toString());
        }
        String roundCosts = FreshJvm.run("bench", "rounds", "--gamma", "4,8,16", "--steps", "1,2,4,8", "--alpha", "0.5,0.7,0.9",
                "--threads", "2", "--out", data.toString());
        String jmh = kernelBenchmarks ? dev.specdiff4j.bench.jmh.KernelBenchmarks.run(new String[] {"-wi", "3", "-i", "5"})
                : "(left out of this run; `bench report --kernels` or `bench kernels` runs them)\n";
        String server = skipServer ? "Not rerun by this report (`--skip-server`).\n"
                : FreshJvm.run("bench", "server", "--clients", "16", "--requests", "48", "--rounds", "4", "--threads", "2");
        String spark = skipSpark ? "Not rerun by this report (`--skip-spark`).\n" : SparkSection.markdown();
        String concurrency = skipConcurrency ? "Not rerun by this report (`--skip-concurrency`).\n"
                : ConcurrencySection.markdown(data);
        BenchTokenizer tok = new BenchTokenizer();
        tok.repeats = 10;
        String tokenizer = tok.run();

        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Produced by `").append(commandLine).append("` on ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))
                .append(String.format(" in %.0f minutes. ", (System.nanoTime() - start) / 6e10))
                .append("Every number below comes from that run (raw data and plots in `docs/bench/`); nothing here is edited by hand. ")
                .append("Analyses measured separately are in `docs/notes/`, each with its own date and command.\n\n");
        md.append(MachineInfo.markdown(outcome.kernels())).append('\n');
        md.append("## How to read the numbers\n\n")
                .append("Every speed figure is a ratio against a baseline measured in the same run. Each configuration (B) and its baseline ")
                .append("(A: plain autoregressive decoding of the same target at the full thread count, also for the overlapped rows) get one ")
                .append("untimed warm-up repetition over all prompts at full length, so that every kernel is compiled before timing; then ")
                .append(sweepOptions.repeats).append(" timed repetitions in balanced order (prompt i of repetition r runs A B when r + i is even, ")
                .append("B A when odd). Each repetition gives one paired ratio B ÷ A; the speedup is their median with a distribution-free 95 % ")
                .append("confidence interval for the median (order statistics; at least 6 repetitions are needed for one). ")
                .append("**Noise to expect:** a rerun's medians should fall inside these intervals; differences between rows smaller than the ")
                .append("intervals are not differences. The column \"last ÷ first repetition\" shows that the warm-up was long enough (near 1 ")
                .append("for both; a JIT still compiling makes the first repetition slow).\n\n")
                .append("α = accepted ÷ drafted tokens over the whole run (with adaptive γ, or at the end of a generation, fewer positions are ")
                .append("drafted per round); tokens/round = generated tokens ÷ rounds = accepted + 1 on average.\n\n");
        md.append("## SpecDiff on the bundled demo pair\n\n");
        md.append(String.format("%d prompts of the `%s` set × %d tokens, greedy unless the row says otherwise. ",
                outcome.promptCount(), sweepOptions.promptSet, sweepOptions.maxTokens));
        if (outcome.llamaFfm() != null) {
            md.append("llama.cpp's own decode calls through FFM (").append(outcome.ffmDescription()).append(") decode the same target (our F16 GGUF ")
                    .append("export) with the same protocol against the same AR baseline: llama.cpp tok/s ")
                    .append(outcome.llamaFfm().tokensPerSecond.format("%.1f")).append(", llama.cpp ÷ AR ").append(outcome.llamaFfm().speedups.format())
                    .append("; a row's \"vs llama.cpp\" is its speedup over AR divided by that median. ");
        }
        if (outcome.llama() != null) {
            md.append(String.format(java.util.Locale.ROOT, "Through java-llama.cpp (%d threads, a generic build behind JNI and a streaming loop): ", sweep.threads))
                    .append("llama.cpp tok/s ").append(outcome.llama().tokensPerSecond.format("%.1f"))
                    .append(", llama.cpp ÷ AR ").append(outcome.llama().speedups.format())
                    .append(outcome.llamaFfm() == null ? "; a row's \"vs llama.cpp\" is its speedup over AR divided by that median. " : ". ");
        }
        md.append("Greedy rows are checked token for token against AR.\n\n");
        md.append(SweepReport.markdown(outcome.results(), outcome.llamaOverAr())).append('\n');
        md.append("![speedup vs γ](bench/speedup-vs-gamma.png)\n\n![acceptance vs γ](bench/acceptance-vs-gamma.png)\n\n")
                .append("![tokens per second](bench/tokens-per-second.png)\n\n");
        if (Files.exists(data.resolve("speedup-vs-tree-budget.png"))) md.append("![speedup vs tree budget](bench/speedup-vs-tree-budget.png)\n\n");
        long errors = outcome.results().stream().filter(r -> !r.mismatches().isEmpty()).count();
        md.append(errors == 0 ? "All greedy configurations produced exactly the autoregressive tokens.\n\n"
                : "**" + errors + " greedy configurations differed from autoregressive decoding: a bug.**\n\n");
        md.append("## The target-conditioned block drafter\n\n").append(blockSection).append('\n');
        md.append("## Plain decoding against llama.cpp\n\n")
                .append("`bench decode --threads 2 --tokens 64 --repeats 6 --dtype ").append(String.join(",", DecodeBenchmark.DTYPES))
                .append("`, in a JVM of its own. A random-weight GPT-2 small (124 M parameters, ")
                .append("vocabulary 50257, untied output in the GGUF), the same GGUF files decoded by specdiff4j and by llama.cpp, 2 threads each, ")
                .append("64 tokens, one full-length warm-up run of each, then 6 repetitions in balanced order; tokens/s = ")
                .append("(tokens − 1) / (time from the first token to the last); every ratio is the median of paired ratios [95 % CI]. ")
                .append("Two llama.cpp comparators: \"FFM\" calls llama.cpp's own `llama_decode` through java.lang.foreign on the prebuilt ")
                .append("libraries of `@node-llama-cpp/linux-x64` (the best ggml CPU build for this machine; only decode and argmax are timed); ")
                .append("\"java-llama.cpp\" (4.2.0) is a generic build behind JNI and a streaming server loop. The pass table times a one-token step, ")
                .append("4- and 16-token passes after a 64-token context (logits and argmax of every row; 5 warm-ups, 20 pairs) and a 512-token ")
                .append("prompt (the last row's logits), specdiff4j against the FFM comparator in balanced order.\n\n")
                .append(decodeTable).append('\n');
        md.append("## The cost of a round at GPT-2 scale\n\n").append(roundCosts).append('\n');
        md.append("## Scale projection\n\n").append(projection).append('\n');
        md.append("## Kernels (JMH)\n\n").append(jmh).append('\n');
        md.append("## Tokenizer throughput\n\n").append(tokenizer).append('\n');
        md.append("## Server under load and faults\n\n")
                .append("`bench server --clients 16 --requests 48 --rounds 4 --threads 2`, in a JVM of its own: the drill `ServerLoadTest` ")
                .append("asserts on (there with tiny random models), here on the demo models. What the server held:\n\n")
                .append(server).append('\n');
        md.append(SparkSection.HEADING).append(spark).append('\n');
        md.append(ConcurrencySection.HEADING).append(concurrency).append('\n');
        Path target = docs.resolve("benchmarks.md");
        Path tmp = docs.resolve(".benchmarks.md.partial");
        Files.writeString(tmp, md.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.err.println("wrote " + target);
        for (ConfigResult r : outcome.results()) if (!r.mismatches().isEmpty()) return 1;
        return 0;
    }
}
