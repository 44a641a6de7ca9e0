package dev.specdiff4j.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * What the generations of a completed dataset did, per partition or in total: rows, failed rows, tokens, tokens per
 * second of generation time (prefill + decoding, summed over the partition's rows, which run one after the other) and
 * acceptance α = accepted ÷ drafted. Computed from the statistics column, so it is exact however often Spark ran a task.
 */
public final class CompletionSummary {
    private CompletionSummary() {
    }

    /** One row per partition: partition, rows, errors, prompt_tokens, tokens, seconds, tokens_per_second, drafted, accepted, acceptance. */
    public static Dataset<Row> perPartition(Dataset<Row> completed, String statsCol, String errorCol) {
        return summarize(completed.groupBy(col(statsCol + ".partition").as("partition")), statsCol, errorCol).orderBy("partition");
    }

    public static Dataset<Row> perPartition(Dataset<Row> completed) {
        return perPartition(completed, "generation", "error");
    }

    /** The same figures over the whole dataset, in one row. */
    public static Dataset<Row> total(Dataset<Row> completed, String statsCol, String errorCol) {
        return summarize(completed.groupBy(), statsCol, errorCol);
    }

    private static Dataset<Row> summarize(org.apache.spark.sql.RelationalGroupedDataset groups, String statsCol, String errorCol) {
        Column seconds = sum(col(statsCol + ".prefill_ms").plus(col(statsCol + ".decode_ms"))).divide(1000.0);
        return groups.agg(
                        count(lit(1)).as("rows"),
                        sum(when(col(errorCol).isNotNull(), 1).otherwise(0)).as("errors"),
                        sum(col(statsCol + ".prompt_tokens")).as("prompt_tokens"),
                        sum(col(statsCol + ".tokens")).as("tokens"),
                        seconds.as("seconds"),
                        sum(col(statsCol + ".drafted")).as("drafted"),
                        sum(col(statsCol + ".accepted")).as("accepted"))
                .withColumn("tokens_per_second", when(col("seconds").gt(0), col("tokens").divide(col("seconds"))).otherwise(0.0))
                .withColumn("acceptance", when(col("drafted").gt(0), col("accepted").divide(col("drafted"))).otherwise(0.0));
    }
}
