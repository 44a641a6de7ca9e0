package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.ModelSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The transformer in Spark's local mode on the bundled demo models, against the engine's {@code Generator} run row by row. */
class SpecDiffCompletionTest {
    private static final String TARGET = SparkSessions.DEMO.resolve("target").toString();
    private static final String DRAFTER = SparkSessions.DEMO.resolve("drafter").toString();
    private static final String AR_DRAFTER = SparkSessions.DEMO.resolve("ar-drafter").toString();
    private static final List<String> PROMPTS = List.of("The jury said", "It was the first time that", "In the morning",
            "The committee", "She looked at", "Mr. Smith", "After the war the", "There is no");
    private static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType, false).add("prompt", DataTypes.StringType, true);

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.local2();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Dataset<Row> prompts(List<String> prompts, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) rows.add(RowFactory.create((long) i, prompts.get(i)));
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }

    private static SpecDiffCompletion completion() {
        return new SpecDiffCompletion().setTargetPath(TARGET).setDrafterPath(DRAFTER).setArDrafterPath(AR_DRAFTER).setMaxTokens(12);
    }

    private static Map<Long, Row> byId(Dataset<Row> completed) {
        return completed.collectAsList().stream().collect(Collectors.toMap(r -> r.getLong(0), r -> r, (a, b) -> a, LinkedHashMap::new));
    }

    @Test
    void greedyRowsEqualTheGeneratorRunRowByRow() throws Exception {
        SpecDiffCompletion completion = completion().setMode("specdiff").setGamma(3).setSteps(1);
        Map<Long, Row> rows = byId(completion.transform(prompts(PROMPTS, 3)));

        CompletionSettings settings = completion.settings();
        try (Generator generator = Generator.open(ModelSpec.of(java.nio.file.Path.of(TARGET))
                .withDiffusionDrafter(java.nio.file.Path.of(DRAFTER)))) {
            for (int i = 0; i < PROMPTS.size(); i++) {
                GenerationResult expected = generator.generate(PROMPTS.get(i), settings.config(0));
                Row row = rows.get((long) i);
                assertThat(row.getString(3)).as("error of row %d", i).isNull();
                assertThat(row.getString(2)).as("completion of '%s'", PROMPTS.get(i)).isEqualTo(expected.text());
                assertThat(row.getStruct(4).getInt(2)).as("tokens of row %d", i).isEqualTo(expected.tokens().length);
            }
        }
    }

    @Test
    void sampledRowsDoNotDependOnThePartitioning() {
        SpecDiffCompletion completion = completion().setMode("specdiff").setTemperature(0.9).setSeed(42).setIdCol("id");
        Map<Long, Row> one = byId(completion.transform(prompts(PROMPTS, 1)));
        Map<Long, Row> three = byId(completion.transform(prompts(PROMPTS, 3)));
        assertThat(one).hasSize(PROMPTS.size());
        for (long id : one.keySet()) {
            assertThat(three.get(id).getString(2)).as("row %d", id).isEqualTo(one.get(id).getString(2));
            assertThat(one.get(id).getString(3)).as("error of row %d", id).isNull();
        }
        // the seed is used: another job seed changes some row
        Map<Long, Row> other = byId(completion.copy(new org.apache.spark.ml.param.ParamMap()).setSeed(43).transform(prompts(PROMPTS, 3)));
        assertThat(other.keySet().stream().anyMatch(id -> !other.get(id).getString(2).equals(one.get(id).getString(2)))).isTrue();
    }

    @Test
    void sampledRowsEqualTheGeneratorWithTheRowsSeed() throws Exception {
        SpecDiffCompletion completion = completion().setMode("sd").setTemperature(0.8).setSeed(7);
        Map<Long, Row> rows = byId(completion.transform(prompts(PROMPTS, 2)));
        CompletionSettings settings = completion.settings();
        try (Generator generator = Generator.open(ModelSpec.of(java.nio.file.Path.of(TARGET))
                .withArDrafter(java.nio.file.Path.of(AR_DRAFTER)))) {
            for (int i = 0; i < PROMPTS.size(); i++) {
                String prompt = PROMPTS.get(i);
                GenerationResult expected = generator.generate(prompt, settings.config(RowSeeds.derive(7, prompt)));
                assertThat(rows.get((long) i).getString(2)).as("completion of '%s'", prompt).isEqualTo(expected.text());
            }
        }
    }

    @Test
    void aBadRowGetsAnErrorAndTheOthersComplete() {
        String tooLong = "the house ".repeat(400);
        List<String> prompts = new ArrayList<>(List.of("The jury said", tooLong, "In the morning"));
        prompts.add(null);
        Map<Long, Row> rows = byId(completion().setMode("ar").transform(prompts(prompts, 2)));
        assertThat(rows.get(1L).getString(2)).isNull();
        assertThat(rows.get(1L).getString(3)).contains("do not fit in the model's context of 512 tokens");
        assertThat(rows.get(3L).getString(2)).isNull();
        assertThat(rows.get(3L).getString(3)).isEqualTo("the prompt is null");
        for (long ok : new long[] {0, 2}) {
            assertThat(rows.get(ok).getString(3)).isNull();
            assertThat(rows.get(ok).getString(2)).isNotEmpty();
        }
    }

    @Test
    void aMissingModelFailsBeforeAnyTaskRuns() {
        // transform() is lazy: an exception from it is an exception before any task ran
        Dataset<Row> input = prompts(PROMPTS, 2);
        assertThatThrownBy(() -> completion().setTargetPath("no/such/model").transform(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the target model no/such/model does not exist on this machine: give a path that every executor can "
                        + "read (shared storage), or ship it with --archives / --files and give its name");
        assertThatThrownBy(() -> completion().setDrafterPath(SparkSessions.DEMO.resolve("nothing-here").toString()).transform(input))
                .hasMessageStartingWith("the drafter model ").hasMessageContaining("nothing-here does not exist");
        assertThatThrownBy(() -> completion().setGamma(0).transform(input))
                .hasMessage("gamma (draft length) must be between 1 and 256, got 0");
        assertThatThrownBy(() -> completion().setInputCol("text").transform(input))
                .hasMessage("the input has no column 'text' (its columns: id, prompt): set inputCol to the prompt column");
    }

    @Test
    void modelsShippedAsAnArchiveAreFoundByName() throws Exception {
        java.nio.file.Path zip = java.nio.file.Path.of("target", "shipped-models.zip").toAbsolutePath();
        java.nio.file.Files.deleteIfExists(zip);
        try (var out = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(zip))) {
            for (String file : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
                out.putNextEntry(new java.util.zip.ZipEntry("target/" + file));
                java.nio.file.Files.copy(java.nio.file.Path.of(TARGET, file), out);
                out.closeEntry();
            }
        }
        spark.sparkContext().addArchive(zip.toUri() + "#shipped-models");
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("shipped-models"))).as("not in the working folder").isFalse();
        Map<Long, Row> rows = byId(completion().setTargetPath("shipped-models/target").setDrafterPath("").setArDrafterPath("")
                .setMode("ar").transform(prompts(PROMPTS.subList(0, 2), 2)));
        try (Generator generator = Generator.open(ModelSpec.of(java.nio.file.Path.of(TARGET)))) {
            for (long i = 0; i < 2; i++) {
                assertThat(rows.get(i).getString(2)).isEqualTo(generator.generate(PROMPTS.get((int) i),
                        completion().setMode("ar").settings().config(0)).text());
            }
        }
    }

    @Test
    void theModelsAreLoadedOncePerJvmAndTheSummaryAddsUp() {
        int before = ExecutorModels.loads();
        // kernel threads 2: settings that no other test uses, so these models are not cached yet
        Dataset<Row> completed = completion().setMode("specdiff").setThreads(2).transform(prompts(PROMPTS, 3)).cache();
        List<Row> rows = completed.collectAsList();
        assertThat(ExecutorModels.loads() - before).as("model loads for 3 tasks in this JVM").isEqualTo(1);

        List<Row> summary = CompletionSummary.perPartition(completed).collectAsList();
        assertThat(summary).hasSize(3);
        long tokens = rows.stream().mapToLong(r -> r.getStruct(4).getInt(2)).sum();
        assertThat(summary.stream().mapToLong(r -> r.getAs("rows")).sum()).isEqualTo(PROMPTS.size());
        assertThat(summary.stream().mapToLong(r -> r.getAs("tokens")).sum()).isEqualTo(tokens).isEqualTo(12L * PROMPTS.size());
        long drafted = rows.stream().mapToLong(r -> r.getStruct(4).getInt(5)).sum();
        long accepted = rows.stream().mapToLong(r -> r.getStruct(4).getInt(6)).sum();
        Row total = CompletionSummary.total(completed, "generation", "error").first();
        assertThat((double) total.getAs("acceptance")).isEqualTo((double) accepted / drafted);
        assertThat(drafted).isPositive();
        completed.unpersist();
    }
}
