package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.decoding.DecodeStats;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.Iterator;
import java.util.Locale;

/**
 * Completes the rows of one partition, one after the other, with this JVM's shared models. A row whose prompt cannot be
 * completed (too long for the context, null) gets its error in the error column and the job goes on.
 *
 * @param promptIndex the prompt column's position
 * @param keyIndex    the row key's position (its seed comes from it), or -1 to key rows by their prompt
 */
record CompletePartition(CompletionSettings settings, int promptIndex, int keyIndex) implements MapPartitionsFunction<Row, Row> {

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        TaskContext task = TaskContext.get();
        int partition = task == null ? 0 : task.partitionId();
        int threads = settings.threads() > 0 ? settings.threads() : task == null ? 1 : Math.max(1, task.cpus());
        Generator generator = ExecutorModels.get(settings, threads);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                return complete(generator, rows.next(), partition, task);
            }
        };
    }

    private Row complete(Generator generator, Row row, int partition, TaskContext task) {
        Object[] values = new Object[row.length() + 3];
        for (int i = 0; i < row.length(); i++) values[i] = row.get(i);
        String prompt = row.isNullAt(promptIndex) ? null : row.getString(promptIndex);
        try {
            if (prompt == null) throw new IllegalArgumentException("the prompt is null");
            String key = keyIndex < 0 ? prompt : String.valueOf(row.get(keyIndex));
            Cancellation cancellation = new Cancellation();
            GenerationListener stopWhenKilled = new GenerationListener() {
                @Override
                public void onText(String text) {
                }

                @Override
                public void onTokens(int[] ids) {
                    if (task != null && task.isInterrupted()) cancellation.cancel();
                }
            };
            GenerationResult r = generator.generate(prompt, settings.config(RowSeeds.derive(settings.seed(), key)), stopWhenKilled,
                    cancellation);
            values[row.length()] = r.text();
            values[row.length() + 2] = stats(partition, r.stats());
        } catch (RuntimeException e) {
            values[row.length() + 1] = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            values[row.length() + 2] = RowFactory.create(partition, 0, 0, null, 0, 0, 0, 0.0, 0.0);
        }
        return RowFactory.create(values);
    }

    private static Row stats(int partition, DecodeStats s) {
        return RowFactory.create(partition, s.promptTokens(), s.generatedTokens(), s.finishReason().name().toLowerCase(Locale.ROOT),
                s.rounds(), s.drafted(), s.accepted(), s.prefillNanos() / 1e6, s.decodeNanos() / 1e6);
    }
}
