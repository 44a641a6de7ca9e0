package dev.specdiff4j.engine.batch;

/**
 * How a {@link BatchScheduler} fills its passes.
 *
 * @param maxSequences  sequences decoding together at most (further requests wait in the scheduler's queue)
 * @param stepTokens    rows per pass at most: every decoding sequence's one token, then prompt chunks of the sequences that
 *                      are still prefilling, so a long prompt is spread over several steps instead of stalling the others
 * @param kvBudgetBytes KV-cache memory the admitted sequences may reserve together; a request that needs more than all of
 *                      it is refused, one that needs more than what is free waits
 * @param draftRows     drafted rows a pass holds at most for greedy speculating sequences together: each drafts
 *                      min(its own γ, draftRows ÷ their number) tokens, so at high load they decode nearly plainly (greedy
 *                      output does not depend on it); 0 makes them decode plainly in the batch. Sampled sequences always draft
 *                      their own γ, so that their seeded tokens do not depend on the load
 */
public record BatchSettings(int maxSequences, int stepTokens, long kvBudgetBytes, int draftRows) {
    /** The default {@link #draftRows}: full γ = 4 drafts for up to 4 greedy sequences, fewer above (a guess; docs/notes/20-batching-round2.md). */
    public static final int DEFAULT_DRAFT_ROWS = 16;

    public BatchSettings(int maxSequences, int stepTokens, long kvBudgetBytes) {
        this(maxSequences, stepTokens, kvBudgetBytes, DEFAULT_DRAFT_ROWS);
    }

    public BatchSettings {
        if (draftRows < 0) throw new IllegalArgumentException("the drafted rows per pass must not be negative, got " + draftRows);
        if (maxSequences < 1) throw new IllegalArgumentException("a batch needs room for at least one sequence, got " + maxSequences);
        if (stepTokens < maxSequences) {
            throw new IllegalArgumentException("a batch step of " + stepTokens + " tokens cannot hold one token of each of "
                    + maxSequences + " sequences");
        }
        if (kvBudgetBytes < 1) throw new IllegalArgumentException("the KV-cache budget must be positive, got " + kvBudgetBytes);
    }

    /** 16 sequences, 64 rows a step, half of the JVM's maximum heap for KV caches. */
    public static BatchSettings defaults() {
        return new BatchSettings(16, 64, Runtime.getRuntime().maxMemory() / 2);
    }
}
