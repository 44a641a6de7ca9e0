package dev.specdiff4j.engine.model;

/**
 * What every {@link CausalLanguageModel.Session} does the same way, on the CPU or on a device: the length of the cache, the
 * checks before a forward pass (at least one token, {@code logitRows} within 0..k, the context not overflowed, every id in the
 * vocabulary), truncation within the cache, and closing once. Subclasses compute the pass and free their memory.
 */
public abstract class CausalSession implements CausalLanguageModel.Session {
    private final int contextLength;
    private final int vocabSize;
    private int length;
    private boolean closed;

    protected CausalSession(int contextLength, int vocabSize) {
        this.contextLength = contextLength;
        this.vocabSize = vocabSize;
    }

    /** Appends {@code tokens} at positions {@code start}.. and returns the logits of the last {@code logitRows} of them. */
    protected abstract float[][] compute(int[] tokens, int logitRows, int start);

    /**
     * Appends the tree of {@code tokens} (node i at position {@code start + depths[i]}; {@code visible[i]} its ancestors and
     * itself, ascending node indices) at cache rows {@code start}.. and returns its nodes' logits, computed on demand. Only sessions that
     * {@link #supportsTrees()} override it.
     */
    protected CausalLanguageModel.TreeLogits computeTree(int[] tokens, int[] parents, int[] depths, int[][] visible, int start) {
        throw new UnsupportedOperationException("this model session does not verify token trees");
    }

    /** Copies cache row {@code from} to row {@code to} (from > to) in every layer. Only sessions that support trees override it. */
    protected void moveRow(int from, int to) {
        throw new UnsupportedOperationException("this model session does not verify token trees");
    }

    /** Frees the cache memory (called once, by {@link #close}). */
    protected abstract void release();

    @Override
    public final int length() {
        return length;
    }

    @Override
    public final int contextLength() {
        return contextLength;
    }

    @Override
    public final float[][] forward(int[] tokens, int logitRows) {
        checkForward(tokens, logitRows);
        float[][] rows = compute(tokens, logitRows, length);
        length += tokens.length;
        return rows;
    }

    /** The checks before a pass that appends {@code tokens} (also run per session by a multi-sequence batch pass). */
    protected final void checkForward(int[] tokens, int logitRows) {
        if (closed) throw new IllegalStateException("the session was closed");
        int k = tokens.length;
        if (k == 0) throw new IllegalArgumentException("forward needs at least one token");
        if (logitRows < 0 || logitRows > k) throw new IllegalArgumentException("logitRows " + logitRows + " outside 0.." + k);
        if (length + k > contextLength) throw new ContextLimitException(length + k, contextLength);
        for (int id : tokens) {
            if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabSize);
        }
    }

    /** Counts {@code k} tokens appended by a pass computed outside {@link #compute} (a multi-sequence batch pass). */
    protected final void advance(int k) {
        length += k;
    }

    @Override
    public final CausalLanguageModel.TreeLogits forwardTreeLazily(int[] tokens, int[] parents) {
        if (closed) throw new IllegalStateException("the session was closed");
        if (!supportsTrees()) throw new UnsupportedOperationException("this model session does not verify token trees");
        int k = tokens.length;
        if (k == 0) throw new IllegalArgumentException("a token tree needs at least one node");
        if (parents.length != k) throw new IllegalArgumentException("a token tree needs one parent per node, got " + parents.length + " for " + k);
        if (length + k > contextLength) throw new ContextLimitException(length + k, contextLength);
        int[] depths = new int[k];
        int[][] visible = new int[k][];
        for (int i = 0; i < k; i++) {
            int id = tokens[i];
            if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabSize);
            int parent = parents[i];
            if (parent < -1 || parent >= i) throw new IllegalArgumentException("node " + i + " has parent " + parent + ": a parent must come before its child");
            depths[i] = parent < 0 ? 0 : depths[parent] + 1;
            visible[i] = new int[depths[i] + 1];
            if (parent >= 0) System.arraycopy(visible[parent], 0, visible[i], 0, depths[i]);
            visible[i][depths[i]] = i;
        }
        CausalLanguageModel.TreeLogits rows = computeTree(tokens, parents, depths, visible, length);
        length += k;
        return rows;
    }

    @Override
    public final void keepTreePath(int treeStart, int[] nodes) {
        if (closed) throw new IllegalStateException("the session was closed");
        if (treeStart < 0 || treeStart + nodes.length > length) {
            throw new IllegalArgumentException("a path of " + nodes.length + " nodes from " + treeStart + " does not lie in a cache of " + length);
        }
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] < i || treeStart + nodes[i] >= length || (i > 0 && nodes[i] <= nodes[i - 1])) {
                throw new IllegalArgumentException("tree path node " + nodes[i] + " at step " + i + " is not an ascending node of the tree");
            }
            if (nodes[i] != i) moveRow(treeStart + nodes[i], treeStart + i);
        }
        length = treeStart + nodes.length;
    }

    @Override
    public final void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a session of " + length + " tokens to " + newLength);
        }
        length = newLength;
    }

    @Override
    public final void close() {
        if (closed) return;
        closed = true;
        release();
    }
}
