package dev.specdiff4j.engine.batch;

/**
 * A scheduler's state and totals, for {@code /metrics} and benchmarks.
 *
 * @param running          sequences admitted (prefilling or decoding)
 * @param queued           requests waiting for admission (sequence slots or KV memory)
 * @param lastBatchRows    rows of the last pass
 * @param lastBatchSize    sequences in the last pass
 * @param kvUsedBytes      KV-cache memory reserved by the running sequences (their whole need, prompt + max tokens)
 * @param kvBudgetBytes    the budget
 * @param kvPageBytes      bytes of one KV page ({@link BatchScheduler#KV_PAGE_ROWS} positions); 0 when the model keeps
 *                         its caches itself (the page counts then only count)
 * @param kvPagesUsed      pages the running sequences hold now (what their caches have grown to)
 * @param kvPagesFree      pages the pool can still hand out within the budget
 * @param kvPagesAllocated pages allocated so far (held or kept for reuse): the memory the pool occupies
 * @param steps            passes run
 * @param generated        tokens generated, all sequences
 * @param busyNanos        time spent in steps (passes, sampling, delivery)
 */
public record BatchStats(int running, int queued, int lastBatchRows, int lastBatchSize, long kvUsedBytes, long kvBudgetBytes,
                         long kvPageBytes, int kvPagesUsed, int kvPagesFree, int kvPagesAllocated, long steps, long generated,
                         long busyNanos) {
    /** Generated tokens per second of busy time, all sequences together. */
    public double tokensPerSecond() {
        return busyNanos == 0 ? 0 : generated / (busyNanos / 1e9);
    }

}
