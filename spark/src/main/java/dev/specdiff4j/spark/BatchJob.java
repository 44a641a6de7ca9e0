package dev.specdiff4j.spark;

import dev.specdiff4j.json.Json;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;

/**
 * {@code specdiff4j batch}: completes every prompt of a JSON-lines, Parquet or CSV file on Spark and writes the rows with
 * their completions to a new folder. The same class is the application that {@code spark-submit} runs on a cluster.
 *
 * <p>The output appears whole or not at all: the rows are written to a hidden folder beside it, which is renamed to the
 * output's name once complete (an atomic rename on local disks and HDFS); an output that exists already is refused, and
 * on failure only the hidden folder this run made is removed.
 */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Completes every prompt of a file on Apache Spark and writes the rows with their completions to a new folder.")
public final class BatchJob implements Callable<Integer> {

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "prompts: a .jsonl/.json, .parquet or .csv file (or folder, with --input-format)")
    String input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "the folder to create (refused if it exists)")
    String output;

    @Option(names = "--master", paramLabel = "URL", description = "local[*] (default), local[N], spark://HOST:PORT; spark-submit's --master when absent")
    String master;

    @Option(names = "--input-format", paramLabel = "FMT", description = "jsonl, parquet or csv (default: from the file name)")
    String inputFormat;

    @Option(names = "--output-format", paramLabel = "FMT", defaultValue = "jsonl", description = "jsonl (default), parquet or csv")
    String outputFormat;

    @Option(names = "--prompt-column", defaultValue = "prompt", paramLabel = "NAME", description = "the prompt column (default: prompt)")
    String promptColumn;

    @Option(names = "--id-column", paramLabel = "NAME", description = "a column that keys each row's sampling seed (default: the prompt)")
    String idColumn;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N", description = "spread the rows over N partitions (default: as read)")
    int partitions;

    @Option(names = {"--model", "-m"}, paramLabel = "PATH", description = "target model (default: the bundled demo target)")
    String model;

    @Option(names = "--drafter", paramLabel = "PATH", description = "diffusion drafter for specdiff (default: the bundled one)")
    String drafter;

    @Option(names = "--ar-drafter", paramLabel = "PATH", description = "autoregressive drafter for sd (default: the bundled one)")
    String arDrafter;

    @Option(names = "--mode", defaultValue = "specdiff", description = "ar, sd or specdiff (default)")
    String mode;

    @Option(names = {"--max-tokens", "-n"}, defaultValue = "64", paramLabel = "N", description = "tokens per row at most (default: 64)")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 = greedy (default)")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "the job's seed; each row's is derived from it and the row's key")
    long seed;

    @Option(names = "--gamma", defaultValue = "3", paramLabel = "N", description = "draft length (default: 3)")
    int gamma;

    @Option(names = "--steps", defaultValue = "1", paramLabel = "T", description = "denoising steps of the diffusion drafter (default: 1)")
    int steps;

    @Option(names = "--stop", paramLabel = "TEXT", description = "a stop string (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "kernel threads per executor JVM (default: spark.task.cpus)")
    int threads;

    @Option(names = "--debug", description = "print stack traces")
    boolean debug;

    private PrintWriter out;
    private PrintWriter err;

    public static void main(String[] args) {
        int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        SparkSession.getActiveSession().foreach(s -> {
            s.stop();
            return null;
        });
        System.exit(code);
    }

    /** Runs the job in this JVM's Spark session (made if there is none) and returns the exit code; used by the tests too. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        BatchJob job = new BatchJob();
        job.out = out;
        job.err = err;
        CommandLine cli = new CommandLine(job).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            err.println("specdiff4j batch: " + describe(e));
            if (job.debug) e.printStackTrace(err);
            err.flush();
            return 1;
        });
        cli.setParameterExceptionHandler((e, ignored) -> {
            err.println("specdiff4j batch: " + e.getMessage());
            err.println("(run with --help for usage)");
            err.flush();
            return 2;
        });
        return cli.execute(args);
    }

    // a failed task reaches the driver as text, Spark's wrappers first: "Job aborted due to stage failure: ... Lost task 0.0 in
    // stage 3.0 (TID 7) (host executor 1): org.apache.spark.SparkException: ... Caused by: dev.specdiff4j...Exception: why"
    private static final java.util.regex.Pattern EXCEPTION = java.util.regex.Pattern.compile("([\\w.$]+(?:Exception|Error)): ([^\\n]+)");

    static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof org.apache.spark.SparkException && message != null && message.contains("Lost task")) {
            var m = EXCEPTION.matcher(message.substring(message.indexOf("Lost task")));
            while (m.find()) {
                if (!m.group(1).startsWith("org.apache.spark.") && !m.group(1).startsWith("scala.")) return "a task failed: " + m.group(2).strip();
            }
        }
        if (e.getCause() != null && e.getCause() != e && e instanceof org.apache.spark.SparkException) return describe(e.getCause());
        if (message == null || message.isBlank()) return e.getCause() != null ? describe(e.getCause()) : e.getClass().getSimpleName();
        return message.lines().findFirst().orElse(message);
    }

    @Override
    public Integer call() throws IOException {
        String inFormat = inputFormat != null ? format(inputFormat, "--input-format") : formatOf(input);
        String outFormat = format(outputFormat, "--output-format");
        if (partitions < 0) throw new IllegalArgumentException("--partitions must be >= 0, got " + partitions);
        SpecDiffCompletion completion = new SpecDiffCompletion()
                .setTargetPath(model != null ? model : DemoModels.path("target"))
                .setDrafterPath(drafter != null ? drafter : mode.equalsIgnoreCase("specdiff") ? DemoModels.path("drafter") : "")
                .setArDrafterPath(arDrafter != null ? arDrafter : mode.equalsIgnoreCase("sd") ? DemoModels.path("ar-drafter") : "")
                .setMode(mode).setMaxTokens(maxTokens).setTemperature(temperature).setTopK(topK).setTopP(topP).setSeed(seed)
                .setGamma(gamma).setSteps(steps).setStop(stop.toArray(String[]::new)).setThreads(threads)
                .setInputCol(promptColumn).setIdCol(idColumn == null ? "" : idColumn);
        completion.settings(); // settings first: a bad --gamma needs no Spark

        SparkSession.Builder builder = SparkSession.builder().appName("specdiff4j batch");
        if (master != null) builder.master(master);
        else if (!SparkSession.getActiveSession().isDefined() && System.getProperty("spark.master") == null) builder.master("local[*]");
        SparkSession spark = builder.getOrCreate();

        Path in = new Path(input);
        FileSystem inFs = in.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!inFs.exists(in)) throw new IllegalArgumentException("the input " + input + " does not exist");
        Path target = new Path(output);
        FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (fs.exists(target)) {
            throw new IllegalArgumentException("the output " + output + " exists already: batch never writes into or over a folder; "
                    + "name a new one");
        }
        Dataset<Row> prompts = read(spark, inFormat, input);
        if (partitions > 0) prompts = prompts.repartition(partitions);
        Dataset<Row> completed = completion.transform(prompts); // checks the columns and the model paths before any task runs

        Path partial = new Path(target.getParent() == null ? new Path(".") : target.getParent(),
                "." + target.getName() + ".partial-" + UUID.randomUUID().toString().substring(0, 8));
        long start = System.nanoTime();
        boolean keep = false; // the partial folder is removed unless it is done (renamed) or its rows are all that is left
        completed = completed.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            write(outFormat, completed).save(partial.toString());
            double wallSeconds = (System.nanoTime() - start) / 1e9;
            Map<String, Object> summary = summary(completed, wallSeconds, spark.sparkContext().master());
            try (OutputStream o = fs.create(new Path(partial, "_summary.json"), false)) {
                o.write((Json.writePretty(summary) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            keep = true;
            if (!fs.rename(partial, target) || !fs.exists(new Path(target, "_summary.json"))) {
                throw new IOException("the finished output could not be renamed to " + output + " (did something create it meanwhile?); "
                        + "its rows are kept in " + (fs.exists(partial) ? partial : new Path(target, partial.getName())));
            }
            printSummary(summary);
            return 0;
        } finally {
            completed.unpersist();
            if (!keep && fs.exists(partial)) fs.delete(partial, true);
        }
    }

    private static String format(String name, String option) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "jsonl", "json" -> "json";
            case "parquet" -> "parquet";
            case "csv" -> "csv";
            default -> throw new IllegalArgumentException(option + " must be jsonl, parquet or csv, got '" + name + "'");
        };
    }

    private static String formatOf(String file) {
        String f = file.toLowerCase(Locale.ROOT);
        if (f.endsWith(".jsonl") || f.endsWith(".json") || f.endsWith(".ndjson")) return "json";
        if (f.endsWith(".parquet")) return "parquet";
        if (f.endsWith(".csv")) return "csv";
        throw new IllegalArgumentException("cannot tell the format of " + file + " from its name: give --input-format jsonl, parquet or csv");
    }

    private static Dataset<Row> read(SparkSession spark, String format, String file) {
        return switch (format) {
            case "csv" -> spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(file);
            case "json" -> spark.read().option("mode", "FAILFAST").json(file);
            default -> spark.read().parquet(file);
        };
    }

    private org.apache.spark.sql.DataFrameWriter<Row> write(String format, Dataset<Row> completed) {
        Dataset<Row> rows = completed;
        if (format.equals("csv")) { // CSV holds no structs: the statistics become columns of their own
            List<Column> columns = new ArrayList<>();
            String stats = "generation";
            for (StructField f : completed.schema().fields()) {
                if (!f.name().equals(stats)) columns.add(col(f.name()));
            }
            for (StructField f : CompletionColumns.STATS.fields()) columns.add(col(stats + "." + f.name()).as(stats + "_" + f.name()));
            rows = completed.select(columns.toArray(Column[]::new));
        }
        var writer = rows.write().format(format);
        return format.equals("csv") ? writer.option("header", "true").option("escape", "\"") : writer;
    }

    private static Map<String, Object> summary(Dataset<Row> completed, double wallSeconds, String master) {
        Map<String, Object> s = new LinkedHashMap<>();
        Row total = CompletionSummary.total(completed, "generation", "error").first();
        s.put("master", master);
        s.put("wall_seconds", wallSeconds);
        s.putAll(figures(total));
        long tokens = total.isNullAt(total.fieldIndex("tokens")) ? 0 : total.getLong(total.fieldIndex("tokens"));
        s.put("tokens_per_wall_second", wallSeconds > 0 ? tokens / wallSeconds : 0.0);
        List<Object> parts = new ArrayList<>();
        for (Row r : CompletionSummary.perPartition(completed).collectAsList()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("partition", r.getInt(0));
            p.putAll(figures(r));
            parts.add(p);
        }
        s.put("partitions", parts);
        return s;
    }

    private static Map<String, Object> figures(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String name : new String[] {"rows", "errors", "prompt_tokens", "tokens", "seconds", "tokens_per_second", "drafted",
            "accepted", "acceptance"}) {
            Object v = r.isNullAt(r.fieldIndex(name)) ? 0 : r.get(r.fieldIndex(name));
            m.put(name, v instanceof Long l ? (Object) l.longValue() : v);
        }
        return m;
    }

    private void printSummary(Map<String, Object> s) {
        err.printf(Locale.ROOT, "%9s %6s %6s %8s %9s %10s%n", "partition", "rows", "errors", "tokens", "tok/s", "acceptance");
        for (Object o : (List<?>) s.get("partitions")) {
            Map<?, ?> p = (Map<?, ?>) o;
            err.printf(Locale.ROOT, "%9s %6s %6s %8s %9.1f %10.2f%n", p.get("partition"), p.get("rows"), p.get("errors"), p.get("tokens"),
                    ((Number) p.get("tokens_per_second")).doubleValue(), ((Number) p.get("acceptance")).doubleValue());
        }
        err.flush();
        out.printf(Locale.ROOT, "wrote %s rows (%s errors) to %s in %.1f s: %s tokens, %.1f tokens/s overall, acceptance %.2f%n",
                s.get("rows"), s.get("errors"), output, (double) s.get("wall_seconds"), s.get("tokens"),
                (double) s.get("tokens_per_wall_second"), ((Number) s.get("acceptance")).doubleValue());
        out.flush();
    }
}
