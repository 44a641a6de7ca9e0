package dev.specdiff4j.cli;

import dev.specdiff4j.bench.ConfigResult;
import dev.specdiff4j.bench.MachineInfo;
import dev.specdiff4j.bench.SweepReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
            "against llama.cpp, the scale projection and the tokenizer throughput; Markdown fragments recorded by other commands",
            "(docs/bench/*.md) are included as they are. Takes about an hour on a 2-core machine."})
final class BenchReport implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Mixin
    SweepOptions sweepOptions = new SweepOptions();

    @Option(names = "--docs", defaultValue = "docs", description = "The docs folder: benchmarks.md is written there, data and plots under bench/ (default: ${DEFAULT-VALUE}).") Path docs;
    @Option(names = "--skip-projection", description = "Leave out the scale projection (it writes and loads multi-GB random models).") boolean skipProjection;
    @Option(names = "--projection-shapes", split = ",", defaultValue = "gpt2,gpt2-medium,gpt2-large,gpt2-xl", description = "Target shapes of the scale projection (default: ${DEFAULT-VALUE}).") List<String> projectionShapes;
    @Option(names = "--kernels", description = "Also the JMH kernel benchmarks (about 15 more minutes).") boolean kernelBenchmarks;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        Path data = docs.resolve("bench");
        Files.createDirectories(data);
        BenchSpecDiff sweep = new BenchSpecDiff();
        sweep.sweep = sweepOptions;
        sweep.exact = true;
        sweep.overlap = true;
        sweep.adaptive = 16;
        sweep.sampling = true;
        sweep.dtypes = List.of("f32", "q8_0");
        sweep.threads = 2;
        sweep.out = data;
        BenchSpecDiff.Outcome outcome = sweep.run();

        // each of these in a JVM of its own (FreshJvm says why)
        String decodeTable = FreshJvm.run("bench", "decode", "--threads", "2", "--tokens", "64", "--repeats", "5");
        String projection = "Not rerun by this report (`--skip-projection`: it writes and loads about 14 GB of random models).\n";
        if (!skipProjection) {
            projection = FreshJvm.run("bench", "project", "--shapes", String.join(",", projectionShapes), "--dtype", "f32,q8_0",
                    "--threads", "2", "--repeats", "3", "--out", data.toString(), "--alpha-from", data.resolve("sweep.json").toString());
        }
        String roundCosts = FreshJvm.run("bench", "rounds", "--gamma", "4,8,16", "--steps", "1,2,4,8", "--alpha", "0.5,0.7,0.9",
                "--threads", "2", "--out", data.toString());
        String jmh = kernelBenchmarks ? dev.specdiff4j.bench.jmh.KernelBenchmarks.run(new String[] {"-wi", "3", "-i", "5"})
                : "(left out of this run; `bench report --kernels` or `bench kernels` runs them)\n";
        BenchTokenizer tok = new BenchTokenizer();
        tok.repeats = 10;
        String tokenizer = tok.run();

        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Produced by `bin/specdiff4j bench report` on ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))
                .append(String.format(" in %.0f minutes. Raw data (CSV, JSON) and plots are in `docs/bench/`. ", (System.nanoTime() - start) / 6e10))
                .append("Every speed figure is a ratio against a baseline measured in the same run (interleaved, after a warm-up); ")
                .append("medians with the min–max of the repetitions.\n\n");
        md.append(MachineInfo.markdown(outcome.kernels())).append('\n');
        md.append("## SpecDiff on the bundled demo pair\n\n");
        md.append(String.format("%d held-out prompts × %d tokens, %d repetitions. Each row: the configuration and plain autoregressive decoding ",
                sweepOptions.promptCount, sweepOptions.maxTokens, sweepOptions.repeats));
        md.append("of the same target, run alternately; speedup = median tokens/s ÷ median AR tokens/s. α = accepted ÷ drafted tokens; ")
                .append("tokens/round = (accepted + 1) on average. \"vs llama.cpp\": tokens/s ÷ llama.cpp's plain decoding of the same ")
                .append("target (our F16 GGUF export) in the same run. Greedy rows are checked token for token against AR.\n\n");
        md.append(SweepReport.markdown(outcome.results(), outcome.llama())).append('\n');
        md.append("![speedup vs γ](bench/speedup-vs-gamma.png)\n\n![acceptance vs γ](bench/acceptance-vs-gamma.png)\n\n")
                .append("![tokens per second](bench/tokens-per-second.png)\n\n");
        long errors = outcome.results().stream().filter(r -> !r.mismatches().isEmpty()).count();
        md.append(errors == 0 ? "All greedy configurations produced exactly the autoregressive tokens.\n\n"
                : "**" + errors + " greedy configurations differed from autoregressive decoding: a bug.**\n\n");
        md.append("## Plain decoding against llama.cpp\n\n")
                .append("A random-weight GPT-2 small (124 M parameters, vocabulary 50257, untied output in the GGUF), the same GGUF files ")
                .append("decoded by specdiff4j and by llama.cpp (java-llama.cpp 4.2.0, 2 threads), 64 tokens, alternating, 5 repetitions; ")
                .append("tokens/s = (tokens − 1) / (last token time − first token time) for both. The last columns: the cost of a ")
                .append("16-token verification pass over a one-token step after a 64-token context.\n\n")
                .append(decodeTable).append('\n');
        md.append("## The cost of a round at GPT-2 scale\n\n").append(roundCosts).append('\n');
        md.append("## Scale projection\n\n").append(projection).append('\n');
        md.append("## Kernels (JMH)\n\n").append(jmh).append('\n');
        md.append("## Tokenizer throughput\n\n").append(tokenizer).append('\n');
        try (Stream<Path> fragments = Files.list(data)) {
            for (Path f : fragments.filter(p -> p.getFileName().toString().endsWith(".md") && !p.getFileName().toString().startsWith("sweep")
                    && !p.getFileName().toString().startsWith("projection") && !p.getFileName().toString().startsWith("rounds"))
                    .sorted().toList()) {
                md.append(Files.readString(f, StandardCharsets.UTF_8)).append('\n');
            }
        }
        Path target = docs.resolve("benchmarks.md");
        Path tmp = docs.resolve(".benchmarks.md.partial");
        Files.writeString(tmp, md.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.err.println("wrote " + target);
        for (ConfigResult r : outcome.results()) if (!r.mismatches().isEmpty()) return 1;
        return 0;
    }
}
