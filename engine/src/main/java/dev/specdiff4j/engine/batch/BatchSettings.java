package dev.specdiff4j.engine.batch;

/**
 * How a {@link BatchScheduler} fills its passes.
 *
 * @param maxSequences  sequences decoding together at most (further requests wait in the scheduler's queue)
 * @param stepTokens    rows per pass at most: every decoding sequence's one token, then prompt chunks of the sequences that
 *                      are still prefilling, so a long prompt is spread over several steps instead of stalling the others
 * @param kvBudgetBytes KV-cache memory the admitted sequences may reserve together; a request that needs more than all of
 *                      it is refused, one that needs more than what is free waits
 * @param draftRows     how much drafting greedy speculating sequences may do together: with n of them in a pass each drafts
 *                      min(its own γ, {@link #greedyDraftShare draftRows ÷ n²}) tokens, so that drafting fades out as the load
 *                      grows (greedy output does not depend on it); 0 makes them decode plainly in the batch. Sampled sequences
 *                      always draft their own γ, so that their seeded tokens do not depend on the load
 */
public record BatchSettings(int maxSequences, int stepTokens, long kvBudgetBytes, int draftRows) {
    /**
     * The default {@link #draftRows}, from the measured crossover on the demo pair (docs/notes/20-crossover.md): a draft
     * of γ = 4 pays 1.2–1.5× for one or two greedy sequences, one token each still pays for three, and any drafting loses
     * from four on; 12 ÷ n² gives 12 (capped at γ), 3, 1, then 0.
     */
    public static final int DEFAULT_DRAFT_ROWS = 12;

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

    /**
     * Tokens each of {@code sequences} greedy speculating sequences may draft in one pass (before its own γ caps it):
     * {@code draftRows ÷ sequences²}. Quadratic because both costs of a drafted row grow with the load: the verifying pass
     * is wider by every sequence's draft, and the drafters' passes run one sequence after another.
     */
    public int greedyDraftShare(int sequences) {
        if (sequences < 0) throw new IllegalArgumentException("negative sequence count " + sequences);
        return sequences == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, draftRows / ((long) sequences * sequences));
    }

    /** 16 sequences, 64 rows a step, half of the JVM's maximum heap for KV caches. */
    public static BatchSettings defaults() {
        return new BatchSettings(16, 64, Runtime.getRuntime().maxMemory() / 2);
    }
}
