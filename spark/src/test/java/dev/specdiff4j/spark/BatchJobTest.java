package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.json.Json;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code specdiff4j batch} in-process, in local[2], on the bundled demo models. */
class BatchJobTest {
    private static final Path WORK = Path.of("target", "batch-job-test").toAbsolutePath();
    private static SparkSession spark;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void start() {
        spark = SparkSessions.local2();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @BeforeEach
    void clean() throws IOException {
        if (Files.exists(WORK)) {
            try (Stream<Path> files = Files.walk(WORK)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(WORK);
        System.setProperty("specdiff4j.home", Path.of("..").toAbsolutePath().normalize().toString());
    }

    private int batch(String... args) {
        return BatchJob.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private static List<String> siblings() throws IOException {
        try (Stream<Path> files = Files.list(WORK)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void completesAJsonLinesFileIntoANewFolderWithASummary() throws Exception {
        Path in = WORK.resolve("prompts.jsonl");
        Files.writeString(in, """
                {"id": 1, "prompt": "The jury said"}
                {"id": 2, "prompt": "It was the first time that"}
                {"id": 3, "prompt": "In the morning"}
                """);
        Path output = WORK.resolve("out");
        assertThat(batch("--input", in.toString(), "--output", output.toString(), "--max-tokens", "8", "--partitions", "2"))
                .as("exit code; stderr: %s", err).isZero();
        assertThat(out.toString()).startsWith("wrote 3 rows (0 errors) to " + output);
        assertThat(siblings()).containsExactly("out", "prompts.jsonl");
        assertThat(Files.exists(output.resolve("_SUCCESS"))).isTrue();

        List<Row> rows = spark.read().json(output.toString()).orderBy("id").collectAsList();
        assertThat(rows).hasSize(3);
        try (Generator g = Generator.open(ModelSpec.of(Path.of("..", "models", "demo", "target"))
                .withDiffusionDrafter(Path.of("..", "models", "demo", "drafter")))) {
            GenerationConfig config = GenerationConfig.builder().mode(Mode.SPECDIFF).maxTokens(8).gamma(3).steps(1)
                    .sampling(SamplingConfig.greedy()).build();
            for (Row r : rows) {
                assertThat(r.<String>getAs("completion")).isEqualTo(g.generate(r.<String>getAs("prompt"), config).text());
            }
        }
        Map<String, Object> summary = Json.parseObject(Files.readString(output.resolve("_summary.json")));
        assertThat(summary.get("rows")).isEqualTo(3L);
        assertThat(summary.get("tokens")).isEqualTo(24L);
        assertThat((List<?>) summary.get("partitions")).hasSize(2);
    }

    @Test
    void csvWithMultiLinePromptsAndABadRowGoesToCsv() throws Exception {
        Path in = WORK.resolve("prompts.csv");
        Files.writeString(in, "prompt,n\n\"The jury said,\nthen\",1\n\"" + "the house ".repeat(400) + "\",2\n");
        Path output = WORK.resolve("out-csv");
        assertThat(batch("--input", in.toString(), "--output", output.toString(), "--max-tokens", "4", "--mode", "ar",
                "--output-format", "csv")).as("stderr: %s", err).isZero();
        List<Row> rows = spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                .csv(output.toString()).orderBy("n").collectAsList();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).<String>getAs("prompt")).isEqualTo("The jury said,\nthen");
        assertThat(rows.get(0).<String>getAs("error")).isNull();
        assertThat(rows.get(1).<String>getAs("error")).contains("do not fit in the model's context");
        assertThat(rows.get(0).<String>getAs("generation_tokens")).isEqualTo("4");
        assertThat(out.toString()).startsWith("wrote 2 rows (1 errors)");
    }

    @Test
    void anExistingOutputIsRefusedAndLeftAlone() throws Exception {
        Path in = WORK.resolve("prompts.jsonl");
        Files.writeString(in, "{\"prompt\": \"The jury said\"}\n");
        Path output = Files.createDirectories(WORK.resolve("taken"));
        Files.writeString(output.resolve("keep.txt"), "mine");
        assertThat(batch("--input", in.toString(), "--output", output.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("specdiff4j batch: the output " + output
                + " exists already: batch never writes into or over a folder; name a new one" + System.lineSeparator());
        try (Stream<Path> files = Files.list(output)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("keep.txt");
        }
        assertThat(Files.readString(output.resolve("keep.txt"))).isEqualTo("mine");
    }

    @Test
    void aJobThatFailsLeavesNoOutputAndNoPartialFolder() throws Exception {
        Path in = WORK.resolve("prompts.jsonl");
        Files.writeString(in, "{\"prompt\": \"The jury said\"}\n{\"prompt\": \"In the morning\"}\n");
        Path broken = Files.createDirectories(WORK.resolve("broken-model")); // passes the driver's check, fails to load in the task
        Files.writeString(broken.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        Path output = WORK.resolve("never");
        assertThat(batch("--input", in.toString(), "--output", output.toString(), "--mode", "ar", "--model", broken.toString()))
                .isEqualTo(1);
        assertThat(err.toString()).startsWith("specdiff4j batch: a task failed: " + broken + ": holds no model.safetensors");
        assertThat(siblings()).containsExactly("broken-model", "prompts.jsonl");
    }

    @Test
    void badArgumentsAreRefusedBeforeSparkRuns() throws Exception {
        Path in = WORK.resolve("prompts.txt");
        Files.writeString(in, "The jury said\n");
        assertThat(batch("--input", in.toString(), "--output", WORK.resolve("o").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("cannot tell the format of " + in + " from its name: give --input-format jsonl, parquet or csv");
        err.getBuffer().setLength(0);
        Files.writeString(WORK.resolve("p.jsonl"), "{\"text\": \"The jury said\"}\n");
        assertThat(batch("--input", WORK.resolve("p.jsonl").toString(), "--output", WORK.resolve("o").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("the input has no column 'prompt' (its columns: text)");
        err.getBuffer().setLength(0);
        assertThat(batch("--input", WORK.resolve("nothing.jsonl").toString(), "--output", WORK.resolve("o").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("the input " + WORK.resolve("nothing.jsonl") + " does not exist");
        assertThat(siblings()).containsExactly("p.jsonl", "prompts.txt");
    }
}
