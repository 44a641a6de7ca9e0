package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.Arrays;

/**
 * Classic speculative decoding's drafter: a small autoregressive model proposing γ tokens one by one
 * with its own KV cache. Before each proposal the cache is rolled back to the longest prefix it shares
 * with the committed sequence and the rest is fed in one batched pass. When the committed sequence no
 * longer fits its context, the drafter restarts on the last part of it (a sliding window).
 *
 * <p>Its rows may differ in number from the target's (one tokenizer, embeddings padded differently): it drafts over its own
 * rows, and a committed id it has no row for (one of the target's padding rows, never a tokenizer id) is read as id 0.
 * Drafts are only proposals the target verifies, so that costs acceptance, never correctness.
 */
public final class AutoregressiveDrafter implements Drafter {
    private final CausalLanguageModel model;
    private final int draftVocab;

    public AutoregressiveDrafter(CausalLanguageModel model) {
        this.model = model;
        this.draftVocab = model.vocabSize();
    }

    @Override
    public String describe() {
        return "autoregressive drafter (" + model.describe() + ")";
    }

    @Override
    public int draftVocab() {
        return draftVocab;
    }

    /** In place, committed tokens as the drafter's model reads them: an id it has no row for becomes 0. */
    private int[] ownIds(int[] tokens) {
        for (int i = 0; i < tokens.length; i++) if (tokens[i] >= draftVocab) tokens[i] = 0;
        return tokens;
    }

    /** The drafter's KV cache at its whole context (a session grows its cache up to that and slides within it). */
    @Override
    public long sessionBytes() {
        return model.contextLength() * model.kvBytesPerPosition();
    }

    @Override
    public Session open(SamplingConfig sampling, long seed) {
        return new ArSession(sampling, seed);
    }

    private final class ArSession implements Session {
        private final SamplingConfig sampling;
        private final long seed;
        private final CausalLanguageModel.Session session = model.newSession();
        /** What the cache holds: tokens[0 .. session.length()), starting at committed index {@code offset}. */
        private int[] cached = new int[0];
        private int offset;

        ArSession(SamplingConfig sampling, long seed) {
            this.sampling = sampling;
            this.seed = seed;
        }

        /** Top-{@code width} candidates of each step along the drafter's own greedy continuation. */
        @Override
        public TreeCandidates candidates(int[] committed, int gamma, int width) {
            int start = sync(committed, gamma, gamma);
            float[] logits = session.forwardLast(ownIds(Arrays.copyOfRange(committed, start + cachedCommon, committed.length)));
            int[] chain = new int[gamma];
            double[][] rows = new double[gamma][];
            for (int i = 0; i < gamma; i++) {
                rows[i] = TreeCandidates.softmax(logits, draftVocab);
                chain[i] = Probabilities.argmax(logits, draftVocab);
                if (i + 1 < gamma) logits = session.forwardLast(new int[] {chain[i]});
            }
            remember(committed, start, chain);
            return TreeCandidates.fromRows(rows, width, gamma);
        }

        /** Common prefix length found by the last {@link #sync}. */
        private int cachedCommon;

        /**
         * Rolls the cache back to the longest prefix it shares with {@code committed} (restarting on the last half-context
         * when {@code wanted} more tokens would not fit); returns the committed index the cache starts at. {@code gamma} is
         * the γ the caller was asked for, named in the error when {@code wanted} tokens cannot fit the drafter's context.
         */
        private int sync(int[] committed, int wanted, int gamma) {
            int context = model.contextLength();
            if (wanted >= context) throw new IllegalArgumentException("gamma " + gamma + " does not fit the drafter's context of " + context);
            int start = offset;
            if (committed.length - start + wanted > context) {
                start = Math.max(0, committed.length - context / 2); // slide: restart on the last half-context
                session.truncate(0);
                cached = new int[0];
            }
            int common = 0;
            if (start == offset) {
                int limit = Math.min(cached.length, committed.length - start);
                while (common < limit && cached[common] == committed[start + common]) common++;
                // keep at least one token to feed, so that the pass yields logits for the next position
                if (common == committed.length - start) common--;
            }
            offset = start;
            session.truncate(common);
            cachedCommon = common;
            return start;
        }

        /** Records what the cache holds after drafting {@code tokens} after {@code committed}. */
        private void remember(int[] committed, int start, int[] tokens) {
            int cachedLength = session.length();
            int[] now = new int[cachedLength];
            int fromCommitted = Math.min(cachedLength, committed.length - start);
            System.arraycopy(committed, start, now, 0, fromCommitted);
            System.arraycopy(tokens, 0, now, fromCommitted, cachedLength - fromCommitted);
            cached = now;
        }

        @Override
        public Proposal propose(int[] committed, int gamma, boolean withGuess, java.util.function.BooleanSupplier abandon) {
            int wanted = gamma + (withGuess ? 1 : 0);
            // the window of the committed sequence the drafter looks at
            int start = sync(committed, wanted, gamma);
            int[] feed = ownIds(Arrays.copyOfRange(committed, start + cachedCommon, committed.length));
            float[] logits = session.forwardLast(feed);
            int[] tokens = new int[wanted];
            double[][] rows = sampling.isGreedy() ? null : new double[wanted][];
            int passes = 1;
            for (int i = 0; i < wanted; i++) {
                int position = committed.length + i;
                int token;
                if (sampling.isGreedy()) {
                    token = Probabilities.argmax(logits, draftVocab);
                } else {
                    double[] p = Probabilities.of(logits, draftVocab, sampling);
                    rows[i] = p;
                    token = Probabilities.draw(p, Seeds.at(seed, 2, position).nextDouble());
                }
                tokens[i] = token;
                if (i + 1 < wanted && abandon.getAsBoolean()) return null;
                if (i + 1 < wanted) {
                    logits = session.forwardLast(new int[] {token});
                    passes++;
                }
            }
            remember(committed, start, tokens);
            return new Proposal(Arrays.copyOf(tokens, gamma), rows == null ? null : Arrays.copyOf(rows, gamma),
                    withGuess ? tokens[gamma] : -1, passes);
        }

        @Override
        public void close() {
            session.close();
        }
    }
}
