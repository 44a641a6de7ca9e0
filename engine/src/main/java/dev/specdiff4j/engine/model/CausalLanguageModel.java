package dev.specdiff4j.engine.model;

/**
 * An autoregressive language model. The model object holds the weights, is immutable and thread-safe,
 * and is shared; each generation gets its own {@link Session} with its own KV cache.
 */
public interface CausalLanguageModel extends AutoCloseable {
    /** Size of a logits row. */
    int vocabSize();

    int contextLength();

    /** Architecture, size, dtype and kernels, for the user. */
    String describe();

    Session newSession();

    /**
     * A session whose cache is allocated for {@code positions} tokens at once (a batch scheduler reserves what a request may
     * use when it admits it); the default ignores the hint.
     */
    default Session newSession(int positions) {
        return newSession();
    }

    /**
     * A session for a batch scheduler whose cache lives in {@code pages} (taken from their pool as it grows, given back when it
     * closes), for up to {@code positions} positions. Models that keep their cache themselves ({@link #kvPageFloats} 0) ignore
     * the pages: the default is {@link #newSession(int)}.
     */
    default Session newSession(int positions, KvPages pages) {
        return newSession(positions);
    }

    /** Floats of one KV page of {@code pageRows} positions for {@link #newSession(int, KvPages)}; 0 when the model does not page its cache. */
    default int kvPageFloats(int pageRows) {
        return 0;
    }

    /** Bytes of KV cache one position of a session takes, for memory budgets; 0 when the model does not say. */
    default long kvBytesPerPosition() {
        return 0;
    }

    /**
     * A reusable pass over the rows of several sessions at once (continuous batching). Not thread-safe: one per scheduler.
     * The default runs the sessions one after another; models that can batch across sequences override it.
     */
    default BatchPass newBatchPass() {
        return (sessions, tokens, logitRows) -> {
            float[][][] rows = new float[sessions.size()][][];
            for (int i = 0; i < rows.length; i++) rows[i] = sessions.get(i).forward(tokens.get(i), logitRows[i]);
            return rows;
        };
    }

    /**
     * Appends {@code tokens.get(i)} to {@code sessions.get(i)} (distinct sessions of this model, each at its own length) in
     * one pass and returns, per session, the logits of its last {@code logitRows[i]} tokens: for each session exactly the
     * bits that {@link Session#forward(int[], int)} alone would return (batch invariance), whatever else is in the batch.
     */
    @FunctionalInterface
    interface BatchPass {
        float[][][] forward(java.util.List<Session> sessions, java.util.List<int[]> tokens, int[] logitRows);
    }

    @Override
    void close();

    /** The logits of a tree's nodes, computed on demand (the same bits whichever nodes are asked for, in whatever order). */
    @FunctionalInterface
    interface TreeLogits {
        float[] row(int node);
    }

    /** One sequence: a KV cache that grows with {@link #forward} and shrinks with {@link #truncate}. */
    interface Session extends AutoCloseable {
        /** Tokens held in the cache. */
        int length();

        int contextLength();

        /**
         * Appends tokens in one batched pass and returns the logits of the last {@code logitRows} of them
         * (row j of the result is the distribution that follows token {@code tokens.length − logitRows + j}).
         */
        float[][] forward(int[] tokens, int logitRows);

        /** Appends tokens and returns the logits of every one of them. */
        default float[][] forward(int[] tokens) {
            return forward(tokens, tokens.length);
        }

        /** Appends tokens and returns the logits after the last one. */
        default float[] forwardLast(int[] tokens) {
            return forward(tokens, 1)[0];
        }

        /** Whether {@link #forwardTree} and {@link #keepTreePath} work (the CPU GPT-2 does; device sessions may not). */
        default boolean supportsTrees() {
            return false;
        }

        /**
         * Appends a token tree in one batched pass (token-tree verification) and returns the logits of every node. Node i
         * holds {@code tokens[i]} and follows node {@code parents[i]} (< i), or the cached sequence when the parent is −1; it
         * sits at position {@code length() + depth(i)} and attends to the cache and its own ancestors only, so its logits
         * equal those of its root-to-node path appended linearly, bit for bit. The cache grows by {@code tokens.length} rows
         * in node order; {@link #keepTreePath} then keeps one path and drops the rest.
         */
        default float[][] forwardTree(int[] tokens, int[] parents) {
            TreeLogits logits = forwardTreeLazily(tokens, parents);
            float[][] rows = new float[tokens.length][];
            for (int i = 0; i < rows.length; i++) rows[i] = logits.row(i);
            return rows;
        }

        /**
         * As {@link #forwardTree}, but computes a node's logits only when asked: verification walks one path of the tree, and
         * on a small model the LM head is most of a row's cost. Ask before the next call on this session.
         */
        default TreeLogits forwardTreeLazily(int[] tokens, int[] parents) {
            throw new UnsupportedOperationException("this model session does not verify token trees");
        }

        /**
         * After {@link #forwardTree} appended a tree at cache position {@code treeStart}: moves the cache rows of
         * {@code nodes} (a root-to-node path, ascending node indices) to positions {@code treeStart, treeStart + 1, ...} and
         * forgets everything after them, as if that path had been appended linearly.
         */
        default void keepTreePath(int treeStart, int[] nodes) {
            throw new UnsupportedOperationException("this model session does not verify token trees");
        }

        /** Whether {@link #captureFeatures} works (the CPU GPT-2 does; device sessions may not). */
        default boolean supportsFeatures() {
            return false;
        }

        /**
         * From the next pass on, every pass ({@link #forward}, {@link #forwardTree}) also keeps the hidden states of the given
         * blocks (0-based; block l's hidden state is the residual stream after it, before any final norm) for every row it
         * computes, at the cost of a copy; {@link #features} returns those of the latest pass. An empty array stops it.
         * Capturing never changes the logits.
         */
        default void captureFeatures(int[] layers) {
            throw new UnsupportedOperationException("this model session does not expose its hidden states");
        }

        /**
         * The latest pass's captured hidden states, (rows of that pass, layers · C): row t holds the first chosen layer's
         * C values, then the next layer's; exactly that long. The session's own array: read it before the next pass.
         */
        default float[] features() {
            throw new UnsupportedOperationException("this model session does not expose its hidden states");
        }

        /** Forgets everything from position {@code length} on (rolls back rejected tokens). */
        void truncate(int length);

        /** Releases the cache memory at once (the session cannot be used afterwards). */
        @Override
        void close();
    }
}
