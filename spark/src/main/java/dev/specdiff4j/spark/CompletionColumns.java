package dev.specdiff4j.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The columns a completion adds to each row: the text, the error (null when none) and what the generation did. */
public final class CompletionColumns {
    /** The fields of the statistics column, one row's share of the per-partition summary. */
    public static final StructType STATS = new StructType(new StructField[] {
        DataTypes.createStructField("partition", DataTypes.IntegerType, false),
        DataTypes.createStructField("prompt_tokens", DataTypes.IntegerType, false),
        DataTypes.createStructField("tokens", DataTypes.IntegerType, false),
        DataTypes.createStructField("finish_reason", DataTypes.StringType, true),
        DataTypes.createStructField("rounds", DataTypes.IntegerType, false),
        DataTypes.createStructField("drafted", DataTypes.IntegerType, false),
        DataTypes.createStructField("accepted", DataTypes.IntegerType, false),
        DataTypes.createStructField("prefill_ms", DataTypes.DoubleType, false),
        DataTypes.createStructField("decode_ms", DataTypes.DoubleType, false),
    });

    private CompletionColumns() {
    }

    /** The input's schema with the three columns appended. */
    public static StructType append(StructType input, String output, String error, String stats) {
        for (String name : new String[] {output, error, stats}) {
            if (java.util.Arrays.asList(input.fieldNames()).contains(name)) {
                throw new IllegalArgumentException("the input already has a column '" + name + "': choose another output name");
            }
        }
        if (output.equals(error) || output.equals(stats) || error.equals(stats)) {
            throw new IllegalArgumentException("the output, error and statistics columns need three different names, got '"
                    + output + "', '" + error + "', '" + stats + "'");
        }
        return input.add(output, DataTypes.StringType, true).add(error, DataTypes.StringType, true).add(stats, STATS, false);
    }
}
