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
        if (closed) throw new IllegalStateException("the session was closed");
        int k = tokens.length;
        if (k == 0) throw new IllegalArgumentException("forward needs at least one token");
        if (logitRows < 0 || logitRows > k) throw new IllegalArgumentException("logitRows " + logitRows + " outside 0.." + k);
        if (length + k > contextLength) throw new ContextLimitException(length + k, contextLength);
        for (int id : tokens) {
            if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabSize);
        }
        float[][] rows = compute(tokens, logitRows, length);
        length += k;
        return rows;
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
