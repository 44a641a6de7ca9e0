package dev.specdiff4j.engine.model;

import java.util.ArrayDeque;

/**
 * Fixed-size KV-cache pages shared by the sequences of a batch scheduler: a page holds the keys and values of
 * {@link #pageRows()} consecutive positions in every layer ({@link #pageFloats()} floats, laid out as the model says). Pages
 * are allocated on first demand, at most {@link #capacity()} of them, and reused after they are given back (never cleared:
 * a session writes a row before it reads it). Thread-safe.
 */
public final class KvPagePool {
    private final int pageRows;
    private final int pageFloats;
    private final int capacity;
    private final ArrayDeque<float[]> free = new ArrayDeque<>();
    private int allocated;
    private int inUse;

    /**
     * @param pageRows   positions per page
     * @param pageFloats floats per page (0: pages only count, for models that keep their cache themselves)
     * @param capacity   pages at most
     */
    public KvPagePool(int pageRows, int pageFloats, int capacity) {
        if (pageRows < 1) throw new IllegalArgumentException("a KV page needs at least one position, got " + pageRows);
        if (pageFloats < 0) throw new IllegalArgumentException("a KV page cannot hold " + pageFloats + " floats");
        if (capacity < 0) throw new IllegalArgumentException("a KV page pool cannot hold " + capacity + " pages");
        this.pageRows = pageRows;
        this.pageFloats = pageFloats;
        this.capacity = capacity;
    }

    public int pageRows() {
        return pageRows;
    }

    public int pageFloats() {
        return pageFloats;
    }

    /** Pages this pool may allocate at most. */
    public int capacity() {
        return capacity;
    }

    /** Pages needed for {@code positions} positions. */
    public int pagesFor(long positions) {
        return (int) Math.ceilDiv(positions, pageRows);
    }

    /**
     * A page for the caller until it {@link #giveBack gives it back}: a reused one (holding an earlier sequence's rows) or a
     * fresh one.
     *
     * @throws IllegalStateException when all {@link #capacity()} pages are taken
     */
    public synchronized float[] take() {
        if (inUse == capacity) throw new IllegalStateException("all " + capacity + " KV pages are taken");
        float[] page = free.poll();
        if (page == null) {
            page = new float[pageFloats];
            allocated++;
        }
        inUse++;
        return page;
    }

    public synchronized void giveBack(float[] page) {
        if (inUse == 0 || page.length != pageFloats) throw new IllegalArgumentException("this page is not one of this pool's");
        free.push(page);
        inUse--;
    }

    /** Pages held by sessions now. */
    public synchronized int inUse() {
        return inUse;
    }

    /** Pages allocated so far (held or waiting for reuse). */
    public synchronized int allocated() {
        return allocated;
    }
}
