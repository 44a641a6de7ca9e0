package dev.specdiff4j.engine.model;

import java.util.Arrays;

/**
 * One sequence's page table: the pages of a {@link KvPagePool} that hold its KV cache, position p in page
 * {@code p / pageRows}. It takes pages as the sequence grows and gives them all back on {@link #release()}.
 * Not thread-safe: the sequence's owner uses it.
 */
public final class KvPages {
    private final KvPagePool pool;
    private float[][] pages = new float[4][];
    private int count;

    public KvPages(KvPagePool pool) {
        this.pool = pool;
    }

    public KvPagePool pool() {
        return pool;
    }

    /** The pages in position order; entries from {@link #count()} on are unused. */
    public float[][] pages() {
        return pages;
    }

    public int count() {
        return count;
    }

    /** Positions the pages held cover. */
    public long positions() {
        return (long) count * pool.pageRows();
    }

    /**
     * Takes pages until the table covers {@code positions} positions.
     *
     * @throws IllegalStateException when the pool has no page left (the pages taken so far stay in the table)
     */
    public void ensure(int positions) {
        int needed = pool.pagesFor(positions);
        if (needed > pages.length) pages = Arrays.copyOf(pages, Math.max(needed, pages.length * 2));
        while (count < needed) {
            float[] page = pool.take(); // before count moves: a refused take leaves the table as it was
            pages[count++] = page;
        }
    }

    /** Gives every page back to the pool (idempotent). */
    public void release() {
        for (int i = 0; i < count; i++) {
            pool.giveBack(pages[i]);
            pages[i] = null;
        }
        count = 0;
    }
}
