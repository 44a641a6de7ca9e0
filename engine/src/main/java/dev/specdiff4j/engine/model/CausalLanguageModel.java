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

    @Override
    void close();

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

        /** Forgets everything from position {@code length} on (rolls back rejected tokens). */
        void truncate(int length);

        /** Releases the cache memory at once (the session cannot be used afterwards). */
        @Override
        void close();
    }
}
