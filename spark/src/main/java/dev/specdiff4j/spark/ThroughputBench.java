package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.ModelSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code specdiff4j batch-bench}: the throughput of the Spark job in this JVM's local mode against the same prompts through
 * one {@link Generator} in the same JVM, row after row. One untimed warm-up of each (which also checks that the greedy
 * completions are identical), then repetitions in ABBA order; the figure is the median of the paired ratios
 * (Spark tokens/s ÷ Generator tokens/s, wall clock of the whole set, Spark's scheduling included).
 */
@Command(name = "batch-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Spark local-mode throughput against one Generator in the same JVM (paired, ABBA, median ratio).")
public final class ThroughputBench implements Callable<Integer> {
    @Option(names = "--prompts", paramLabel = "FILE", description = "one prompt per line, '#' lines ignored (default: the benchmarks' heldout set)")
    Path prompts;

    @Option(names = "--master", defaultValue = "local[*]", description = "Spark master (default: local[*])")
    String master;

    @Option(names = "--threads", defaultValue = "0", description = "kernel threads of the Spark job's models (default: spark.task.cpus)")
    int threads;

    @Option(names = "--partitions", defaultValue = "0", description = "partitions of the prompts (default: Spark's default parallelism)")
    int partitions;

    @Option(names = "--mode", defaultValue = "specdiff")
    String mode;

    @Option(names = "--gamma", defaultValue = "3")
    int gamma;

    @Option(names = "--steps", defaultValue = "1")
    int steps;

    @Option(names = "--max-tokens", defaultValue = "128")
    int maxTokens;

    @Option(names = "--repeats", defaultValue = "6", description = "timed pairs (default: 6)")
    int repeats;

    public static void main(String[] args) {
        int code = new CommandLine(new ThroughputBench()).execute(args);
        SparkSession.getActiveSession().foreach(s -> {
            s.stop();
            return null;
        });
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("specdiff4j.home", "."));
        Path file = prompts != null ? prompts : home.resolve("benchmarks/src/main/resources/dev/specdiff4j/bench/heldout-prompts.txt");
        List<String> texts = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        SpecDiffCompletion completion = new SpecDiffCompletion()
                .setTargetPath(home.resolve("models/demo/target").toString())
                .setDrafterPath(home.resolve("models/demo/drafter").toString())
                .setArDrafterPath(home.resolve("models/demo/ar-drafter").toString())
                .setMode(mode).setGamma(gamma).setSteps(steps).setMaxTokens(maxTokens).setThreads(threads);
        GenerationConfig config = completion.settings().config(0);

        SparkSession spark = SparkSession.builder().master(master).appName("specdiff4j batch-bench")
                .config("spark.ui.enabled", "false").getOrCreate();
        int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) rows.add(RowFactory.create((long) i, texts.get(i)));
        Dataset<Row> input = spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType))
                .repartition(parts).cache();
        input.count();

        ModelSpec spec = ModelSpec.of(home.resolve("models/demo/target")).withDiffusionDrafter(home.resolve("models/demo/drafter"))
                .withArDrafter(home.resolve("models/demo/ar-drafter"));
        try (Generator generator = Generator.open(spec)) {
            System.err.printf(Locale.ROOT, "%d prompts x %d tokens, %s, Spark %s with %d partitions (kernel threads %s), Generator with %d threads%n",
                    texts.size(), maxTokens, mode, master, parts, threads == 0 ? "spark.task.cpus" : threads, spec.threads());
            Map<Long, String> expected = new HashMap<>();
            double[] warm = {runGenerator(generator, texts, config, expected)};
            Map<Long, String> got = new HashMap<>();
            runSpark(completion, input, got);
            boolean identical = got.equals(expected);
            System.err.printf(Locale.ROOT, "warm-up done; greedy completions identical: %s%n", identical);
            double[] ratios = new double[repeats];
            StringBuilder table = new StringBuilder("| pair | order | Generator tok/s | Spark tok/s | Spark ÷ Generator |\n|---|---|---|---|---|\n");
            for (int r = 0; r < repeats; r++) {
                double a;
                double b;
                if (r % 2 == 0) {
                    a = runGenerator(generator, texts, config, null);
                    b = runSpark(completion, input, null);
                } else {
                    b = runSpark(completion, input, null);
                    a = runGenerator(generator, texts, config, null);
                }
                ratios[r] = b / a;
                System.err.printf(Locale.ROOT, "pair %d: Generator %.1f tok/s, Spark %.1f tok/s, ratio %.3f%n", r + 1, a, b, ratios[r]);
                table.append(String.format(Locale.ROOT, "| %d | %s | %.1f | %.1f | %.3f |%n", r + 1, r % 2 == 0 ? "A B" : "B A", a, b, ratios[r]));
            }
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            System.out.printf(Locale.ROOT, "Spark (%s) / Generator throughput: median paired ratio %.3f (range %.3f-%.3f over %d ABBA pairs); greedy identical: %s%n%n",
                    master, median, sorted[0], sorted[sorted.length - 1], repeats, identical);
            System.out.print(table);
            return identical ? 0 : 1;
        }
    }

    private static double runGenerator(Generator generator, List<String> texts, GenerationConfig config, Map<Long, String> out) {
        long start = System.nanoTime();
        long tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            GenerationResult r = generator.generate(texts.get(i), config);
            tokens += r.tokens().length;
            if (out != null) out.put((long) i, r.text());
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    private static double runSpark(SpecDiffCompletion completion, Dataset<Row> input, Map<Long, String> out) {
        long start = System.nanoTime();
        List<Row> rows = completion.transform(input).select("id", "completion", "generation.tokens").collectAsList();
        double seconds = (System.nanoTime() - start) / 1e9;
        long tokens = 0;
        for (Row r : rows) {
            tokens += r.getInt(2);
            if (out != null) out.put(r.getLong(0), r.getString(1));
        }
        return tokens / seconds;
    }
}
