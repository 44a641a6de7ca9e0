package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DemoModels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The report's "Batch generation on Apache Spark" section: {@code specdiff4j batch-bench} (the Spark module's
 * {@code ThroughputBench}) in a JVM of its own, started through {@code bin/specdiff4j}, which puts Spark's jars on the class
 * path and builds the Spark job on first use (Spark stays out of this launcher's jar as it stays out of the command's).
 */
final class SparkSection {
    static final String HEADING = "## Batch generation on Apache Spark\n\n";

    /** Spark local[2] (one row per core) against one Generator; about 2 minutes on 2 cores. */
    static final List<String> ARGS = List.of("batch-bench", "--master", "local[2]", "--max-tokens", "64", "--repeats", "6");

    private SparkSection() {
    }

    static String markdown() throws IOException, InterruptedException {
        Path home = DemoModels.folder().getParent().getParent();
        Process p = new ProcessBuilder(Stream.concat(Stream.of(home.resolve("bin/specdiff4j").toString()), ARGS.stream()).toList())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code != 0) throw new IOException("specdiff4j " + String.join(" ", ARGS) + " failed with exit code " + code);
        return "`bin/specdiff4j " + String.join(" ", ARGS) + "`, in a JVM of its own with Spark's jars: the 20 prompts of the `heldout` "
                + "set × 64 tokens, greedy `specdiff` on the demo pair (γ 3, T 1), as a cached `Dataset` of 20 rows through "
                + "`SpecDiffCompletion` in Spark's local mode with 2 worker threads (2 partitions, one kernel thread per task) against "
                + "one `Generator` (2 kernel threads) running the same prompts one after the other in the same JVM. Spark's time is "
                + "the wall clock of the whole job (scheduling, serialization and the collect included). One untimed warm-up of each, "
                + "which also checks that Spark's greedy completions equal the Generator's, then 6 pairs in ABBA order; the figure is "
                + "the median of the paired ratios Spark ÷ Generator (tokens/s) with their range. The goal (issue 22): Spark within "
                + "10 % of the Generator, that is a ratio of at least 0.90.\n\n" + out;
    }
}
