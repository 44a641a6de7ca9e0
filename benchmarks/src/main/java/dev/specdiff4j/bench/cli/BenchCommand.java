package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.LoadingOptions;
import dev.specdiff4j.bench.DecodeBenchmark;
import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks. Every speed figure is measured against its baseline in the same run.",
        subcommands = {BenchSpecDiff.class, BenchCommand.Decode.class, BenchProject.class, BenchRounds.class, BenchTokenizer.class, BenchServer.class, BenchConcurrency.class, BenchCrossover.class, BenchCommand.Kernels.class, BenchProfile.class, BenchAb.class, BenchReport.class, BenchLossPlot.class})
public final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a benchmark (try bench --help)");
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = {"Plain decoding of a random-weight GPT-2-small-shaped model (--model llama-3.2-1b: Llama-3.2-1B-shaped): specdiff4j against llama.cpp on the same GGUF files",
                "(F32, F16, BF16, Q8_0 by default; Q4_0, Q4_K, ... on request), interleaved. Two llama.cpp comparators: its own llama_decode through FFM on the prebuilt",
                "libraries of @node-llama-cpp/linux-x64 (--ggml-lib), and java-llama.cpp. Also one-token steps, 4- and 16-token",
                "passes and a 512-token prompt pass, timed against the FFM comparator. Each dtype runs in a JVM of its own, so that its",
                "figures do not depend on which dtypes the JIT compiled the shared kernels for before it."})
    static final class Decode implements Callable<Integer> {
        @Mixin
        DebugOption debug;

        @Option(names = "--work", defaultValue = "target/bench-work", description = "Where models are written and kept (default: ${DEFAULT-VALUE}).")
        Path work;

        @Option(names = "--threads", defaultValue = "2", description = "Kernel threads, for us and llama.cpp (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--tokens", defaultValue = "64", description = "Tokens per run (default: ${DEFAULT-VALUE}).")
        int tokens;

        @Option(names = "--repeats", defaultValue = "5", description = "Interleaved repetitions (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Option(names = "--dtype", split = ",", description = "Weight dtypes of the GGUF files compared (default: f32,f16,bf16,q8_0,q4_0,q4_k; for llama-3.2-1b f16,q8_0,q4_k).")
        List<String> dtypes;

        @Option(names = "--model", defaultValue = DecodeBenchmark.GPT2_SMALL,
                description = {"The random-weight model measured: " + DecodeBenchmark.GPT2_SMALL + " (124 M parameters) or " + DecodeBenchmark.LLAMA_1B,
                    "(Llama 3.2 1B's shape, 1.24 B parameters, with Llama 3's tokenizer from --llama-vocabs) (default: ${DEFAULT-VALUE})."})
        String model;

        @Option(names = "--llama-vocabs", paramLabel = "DIR", defaultValue = "${env:SPECDIFF4J_LLAMA_VOCABS}",
                description = {"The folder of llama.cpp's vocab files (ggml-vocab-llama-bpe.gguf) for --model " + DecodeBenchmark.LLAMA_1B,
                    "(default: $SPECDIFF4J_LLAMA_VOCABS)."})
        Path llamaVocabs;

        @Option(names = "--ggml-lib", paramLabel = "DIR", defaultValue = "${env:SPECDIFF4J_GGML_LIB}",
                description = {"The bins/linux-x64 folder of the npm package @node-llama-cpp/linux-x64 for the FFM comparator",
                    "(default: $SPECDIFF4J_GGML_LIB; without it that comparator is left out)."})
        Path ggmlLib;

        @Option(names = "--no-java-llama", description = "Leave out the java-llama.cpp comparator.")
        boolean noJavaLlama;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the raw results as JSON.")
        Path json;

        @Option(names = "--same-jvm", description = {"Run every dtype in this JVM instead of one fresh JVM per dtype (measured: F32 after",
            "the 16-bit models in one JVM decodes about half as fast as F32 alone)."})
        boolean sameJvm;

        @Override
        public Integer call() throws Exception {
            LoadingOptions.checkThreads("--threads", threads);
            Files.createDirectories(work);
            if (ggmlLib == null) System.err.println("bench decode: no --ggml-lib and no SPECDIFF4J_GGML_LIB: the llama.cpp FFM comparator is left out");
            Path llamaVocabulary = llamaVocabulary();
            if (dtypes == null) dtypes = llamaVocabulary == null ? DecodeBenchmark.DTYPES : DecodeBenchmark.LLAMA_DTYPES;
            for (String d : dtypes) DType.parse(d); // a bad name fails before any JVM starts
            List<DecodeBenchmark.Result> results = new ArrayList<>();
            if (sameJvm || dtypes.size() == 1) {
                DecodeBenchmark bench = new DecodeBenchmark(work, DemoModels.tokenizer(), llamaVocabulary, threads, tokens, repeats, ggmlLib, !noJavaLlama, System.err);
                Progress progress = new Progress("decode", bench.stepsPerDtype() * dtypes.size(), System.err);
                for (String d : dtypes) results.add(bench.run(DType.parse(d), progress));
            } else {
                for (String d : dtypes) results.add(inFreshJvm(d));
            }
            String variant = results.stream().map(DecodeBenchmark.Result::ffmVariant).filter(v -> v != null).findFirst().orElse(null);
            System.out.println("Decoding " + model + " (random weights), tokens/s (median (min–max) over " + repeats + " interleaved runs of " + tokens + " tokens; ratios: median paired ratio [95% CI])"
                    + (variant == null ? "" : "; llama.cpp FFM ran ggml's " + variant + " CPU build") + ":");
            System.out.println();
            System.out.print(DecodeBenchmark.table(results));
            System.out.println();
            System.out.println("Passes after a 64-token context and a 512-token prompt, ms (medians, specdiff4j / llama.cpp FFM; logits and argmax of every row,"
                    + " the prompt's last row only):");
            System.out.println();
            System.out.print(DecodeBenchmark.passTable(results));
            if (json != null) Files.writeString(json, Json.writePretty(DecodeBenchmark.json(results)) + "\n", StandardCharsets.UTF_8);
            return 0;
        }

        /** The Llama 3 vocab file for --model llama-3.2-1b, null for GPT-2 small; a clear error when it is missing. */
        private Path llamaVocabulary() {
            if (model.equals(DecodeBenchmark.GPT2_SMALL)) return null;
            if (!model.equals(DecodeBenchmark.LLAMA_1B)) {
                throw new IllegalArgumentException("--model " + model + " is not one of " + DecodeBenchmark.GPT2_SMALL + ", " + DecodeBenchmark.LLAMA_1B);
            }
            if (llamaVocabs == null) throw new IllegalArgumentException("--model " + model + " needs --llama-vocabs (or SPECDIFF4J_LLAMA_VOCABS)");
            Path file = llamaVocabs.resolve("ggml-vocab-llama-bpe.gguf");
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--model " + model + ": no " + file);
            return file;
        }

        /** One dtype measured by {@code bench decode --dtype D} in a new JVM (FreshJvm), its results read back from its JSON. */
        private DecodeBenchmark.Result inFreshJvm(String dtype) throws Exception {
            Path part = work.resolve("decode-" + dtype + ".json");
            List<String> args = new ArrayList<>(List.of("bench", "decode", "--dtype", dtype, "--work", work.toString(),
                    "--threads", Integer.toString(threads), "--tokens", Integer.toString(tokens), "--repeats", Integer.toString(repeats),
                    "--json", part.toString(), "--model", model));
            if (llamaVocabs != null) args.addAll(List.of("--llama-vocabs", llamaVocabs.toString()));
            if (ggmlLib != null) args.addAll(List.of("--ggml-lib", ggmlLib.toString()));
            if (noJavaLlama) args.add("--no-java-llama");
            FreshJvm.run(args.toArray(new String[0]));
            List<?> parsed = (List<?>) Json.parse(Files.readString(part, StandardCharsets.UTF_8));
            Files.delete(part);
            @SuppressWarnings("unchecked")
            Map<String, Object> only = (Map<String, Object>) parsed.getFirst();
            return DecodeBenchmark.fromJson(only);
        }
    }

    @Command(name = "kernels", mixinStandardHelpOptions = true,
            description = {"The JMH kernel benchmarks (matmul per dtype and k; MDLM denoising step).",
                "Arguments go to JMH: include patterns and options such as -p k=1,16 -p dtype=F32."})
    static final class Kernels implements Callable<Integer> {
        @picocli.CommandLine.Unmatched
        List<String> patterns;

        @Override
        public Integer call() throws Exception {
            dev.specdiff4j.bench.jmh.KernelBenchmarks.main(patterns == null ? new String[0] : patterns.toArray(new String[0]));
            return 0;
        }
    }
}
