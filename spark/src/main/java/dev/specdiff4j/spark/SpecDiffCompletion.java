package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.GenerationConfig;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/**
 * A Spark ML {@link Transformer} that adds a completion column to a dataset of prompts: speculative diffusion decoding (or
 * plain / classic speculative decoding) with models read once per executor JVM and shared by its tasks.
 *
 * <pre>{@code
 * Dataset<Row> out = new SpecDiffCompletion()
 *         .setTargetPath("models/demo/target").setDrafterPath("models/demo/drafter")
 *         .setInputCol("prompt").setMaxTokens(64)
 *         .transform(prompts);                 // + completion, error, generation (statistics) columns
 * CompletionSummary.perPartition(out).show();  // tokens/s and acceptance per partition
 * }</pre>
 *
 * Each row's sampling seed comes from {@code seed} and the row's key ({@code idCol}, or the prompt when unset), so the
 * rows do not depend on how the input is partitioned; greedy rows (temperature 0) equal {@code Generator.generate} on the
 * prompt. A row that cannot be completed (a prompt longer than the context) gets its error in {@code errorCol}, a null
 * completion, and the job goes on. Settings and model paths are checked on the driver when {@link #transform} is called.
 */
public final class SpecDiffCompletion extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;

    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> errorCol;
    private final Param<String> statsCol;
    private final Param<String> idCol;
    private final Param<String> targetPath;
    private final Param<String> drafterPath;
    private final Param<String> arDrafterPath;
    private final Param<String> mode;
    private final IntParam gamma;
    private final IntParam steps;
    private final IntParam maxTokens;
    private final DoubleParam temperature;
    private final IntParam topK;
    private final DoubleParam topP;
    private final LongParam seed;
    private final StringArrayParam stop;
    private final IntParam threads;

    public SpecDiffCompletion() {
        this(Identifiable$.MODULE$.randomUID("specdiff"));
    }

    public SpecDiffCompletion(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "the prompt column (strings)");
        outputCol = new Param<>(this, "outputCol", "the completion column it adds (null where the row failed)");
        errorCol = new Param<>(this, "errorCol", "the error column it adds (null where the row succeeded)");
        statsCol = new Param<>(this, "statsCol", "the statistics column it adds: partition, tokens, rounds, drafted, accepted, times");
        idCol = new Param<>(this, "idCol", "a column whose value keys each row's seed; empty: the prompt keys it");
        targetPath = new Param<>(this, "targetPath", "the target model: an HF GPT-2 folder or a GGUF file, on every executor");
        drafterPath = new Param<>(this, "drafterPath", "the diffusion drafter (MDLM folder) for mode specdiff; empty: none");
        arDrafterPath = new Param<>(this, "arDrafterPath", "the small autoregressive drafter for mode sd; empty: none");
        mode = new Param<>(this, "mode", "ar, sd or specdiff");
        gamma = new IntParam(this, "gamma", "draft length γ (sd, specdiff)");
        steps = new IntParam(this, "steps", "denoising steps T of the diffusion drafter (specdiff)");
        maxTokens = new IntParam(this, "maxTokens", "tokens to generate at most per row");
        temperature = new DoubleParam(this, "temperature", "0 for greedy decoding; otherwise sampling temperature");
        topK = new IntParam(this, "topK", "sample from the k most likely tokens (0 = all)");
        topP = new DoubleParam(this, "topP", "nucleus sampling threshold (1 = all)");
        seed = new LongParam(this, "seed", "the job's seed; each row's comes from it and the row's key");
        stop = new StringArrayParam(this, "stop", "stop strings: a completion ends before the first one");
        threads = new IntParam(this, "threads", "kernel threads of each executor's models; 0: spark.task.cpus");
        setDefault(inputCol, "prompt");
        setDefault(outputCol, "completion");
        setDefault(errorCol, "error");
        setDefault(statsCol, "generation");
        setDefault(idCol, "");
        setDefault(drafterPath, "");
        setDefault(arDrafterPath, "");
        setDefault(mode, "specdiff");
        setDefault(gamma, GenerationConfig.DEFAULT_GAMMA);
        setDefault(steps, GenerationConfig.DEFAULT_STEPS);
        setDefault(maxTokens, 64);
        setDefault(temperature, 0.0);
        setDefault(topK, 0);
        setDefault(topP, 1.0);
        setDefault(seed, 0L);
        setDefault(stop, new String[0]);
        setDefault(threads, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark finds a stage's params through public no-argument methods that return them
    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> errorCol() { return errorCol; }
    public Param<String> statsCol() { return statsCol; }
    public Param<String> idCol() { return idCol; }
    public Param<String> targetPath() { return targetPath; }
    public Param<String> drafterPath() { return drafterPath; }
    public Param<String> arDrafterPath() { return arDrafterPath; }
    public Param<String> mode() { return mode; }
    public IntParam gamma() { return gamma; }
    public IntParam steps() { return steps; }
    public IntParam maxTokens() { return maxTokens; }
    public DoubleParam temperature() { return temperature; }
    public IntParam topK() { return topK; }
    public DoubleParam topP() { return topP; }
    public LongParam seed() { return seed; }
    public StringArrayParam stop() { return stop; }
    public IntParam threads() { return threads; }

    public SpecDiffCompletion setInputCol(String v) { set(inputCol, v); return this; }
    public SpecDiffCompletion setOutputCol(String v) { set(outputCol, v); return this; }
    public SpecDiffCompletion setErrorCol(String v) { set(errorCol, v); return this; }
    public SpecDiffCompletion setStatsCol(String v) { set(statsCol, v); return this; }
    public SpecDiffCompletion setIdCol(String v) { set(idCol, v); return this; }
    public SpecDiffCompletion setTargetPath(String v) { set(targetPath, v); return this; }
    public SpecDiffCompletion setDrafterPath(String v) { set(drafterPath, v); return this; }
    public SpecDiffCompletion setArDrafterPath(String v) { set(arDrafterPath, v); return this; }
    public SpecDiffCompletion setMode(String v) { set(mode, v); return this; }
    public SpecDiffCompletion setGamma(int v) { set(gamma, v); return this; }
    public SpecDiffCompletion setSteps(int v) { set(steps, v); return this; }
    public SpecDiffCompletion setMaxTokens(int v) { set(maxTokens, v); return this; }
    public SpecDiffCompletion setTemperature(double v) { set(temperature, v); return this; }
    public SpecDiffCompletion setTopK(int v) { set(topK, v); return this; }
    public SpecDiffCompletion setTopP(double v) { set(topP, v); return this; }
    public SpecDiffCompletion setSeed(long v) { set(seed, v); return this; }
    public SpecDiffCompletion setStop(String... v) { set(stop, v); return this; }
    public SpecDiffCompletion setThreads(int v) { set(threads, v); return this; }

    /** The settings the tasks receive; checked here, so that bad settings fail before any task runs. */
    public CompletionSettings settings() {
        if (!isDefined(targetPath)) throw new IllegalArgumentException("targetPath is not set: name the target model");
        CompletionSettings s = new CompletionSettings($(targetPath), $(drafterPath), $(arDrafterPath), value(threads), $(mode),
                value(maxTokens), value(temperature), value(topK), value(topP), value(gamma), value(steps), Arrays.asList($(stop)),
                value(seed));
        s.check();
        return s;
    }

    // Spark's numeric params are Param<Object> seen from Java (Scala's Int is erased to Object)
    private int value(IntParam p) {
        return (Integer) $(p);
    }

    private double value(DoubleParam p) {
        return (Double) $(p);
    }

    private long value(LongParam p) {
        return (Long) $(p);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String prompt = $(inputCol);
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(prompt)) {
            throw new IllegalArgumentException("the input has no column '" + prompt + "' (its columns: " + String.join(", ", names)
                    + "): set inputCol to the prompt column");
        }
        StructField field = schema.apply(prompt);
        if (!field.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("the prompt column '" + prompt + "' holds " + field.dataType().simpleString()
                    + ", not strings");
        }
        String id = $(idCol);
        if (!id.isEmpty() && !names.contains(id)) {
            throw new IllegalArgumentException("the input has no column '" + id + "' to key the rows' seeds (idCol)");
        }
        return CompletionColumns.append(schema, $(outputCol), $(errorCol), $(statsCol));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        CompletionSettings s = settings();
        ModelPaths.resolve("target", s.target());
        if (s.drafter() != null) ModelPaths.resolve("drafter", s.drafter());
        if (s.arDrafter() != null) ModelPaths.resolve("autoregressive drafter", s.arDrafter());
        List<String> names = Arrays.asList(dataset.schema().fieldNames());
        String id = $(idCol);
        CompletePartition task = new CompletePartition(s, names.indexOf($(inputCol)), id.isEmpty() ? -1 : names.indexOf(id));
        return dataset.toDF().mapPartitions(task, Encoders.row(out));
    }

    @Override
    public SpecDiffCompletion copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
