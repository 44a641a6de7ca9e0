package dev.specdiff4j.engine.decoding;

/**
 * Proposes tokens that continue a sequence, for a target model to verify. A drafter is shared; each
 * generation opens its own {@link Session}.
 */
public interface Drafter {
    /** A short description for reports. */
    String describe();

    /**
     * The ids its proposals and probability rows range over (its model's rows). The target's may be more or fewer when both
     * share a tokenizer but pad their embeddings differently; acceptance gives an id a model has no row for probability 0.
     */
    int draftVocab();

    Session open(SamplingConfig sampling, long seed);

    /**
     * The most bytes of cache one open session keeps between proposals (an autoregressive drafter's KV cache, grown at most
     * to its context), for memory budgets such as the batch scheduler's. Buffers that live only during one proposal are not
     * counted.
     */
    long sessionBytes();

    /**
     * As {@link #open(SamplingConfig, long)}, for drafts that the target will judge by {@code policy}. A drafter may draft
     * differently for a policy that allows it: STRICT accepts any fixed guess d with probability p(d), however d was chosen,
     * so a drafter may guess its most likely tokens there instead of sampling them. The default ignores the policy.
     */
    default Session open(SamplingConfig sampling, long seed, AcceptancePolicy policy) {
        return open(sampling, seed);
    }

    /**
     * The target blocks whose hidden states this drafter reads (empty: it drafts from tokens alone). A speculative decoder
     * asks its target session for them and hands every committed position's row to {@link Session#observeTargetFeatures}
     * before each proposal.
     */
    default int[] targetFeatureLayers() {
        return new int[0];
    }

    /** One generation's drafting state (an autoregressive drafter's KV cache, for example). Not thread-safe. */
    interface Session extends AutoCloseable {
        /**
         * Proposes {@code gamma} tokens following {@code committed} (the whole committed sequence). The
         * result depends only on {@code committed}, {@code gamma} and the seed, never on what was proposed
         * before, so a proposal can be computed early (overlapped scheduling) without changing the output.
         *
         * @param withGuess also propose the token after the γ (the drafter's guess of the target's bonus token)
         * @param abandon   polled between drafting steps; when it turns true the proposal may stop early and
         *                  return null (its result is no longer wanted)
         */
        Proposal propose(int[] committed, int gamma, boolean withGuess, java.util.function.BooleanSupplier abandon);

        /**
         * Candidates for a token tree over the {@code gamma} positions after {@code committed}, up to {@code width} per
         * position. Like {@link #propose}, depends only on its arguments and the seed. The default offers the linear
         * proposal as a chain of single candidates.
         */
        default TreeCandidates candidates(int[] committed, int gamma, int width) {
            Proposal p = propose(committed, gamma, false, () -> false);
            int[][] tokens = new int[gamma][];
            double[][] probabilities = new double[gamma][];
            for (int j = 0; j < gamma; j++) {
                tokens[j] = new int[] {p.tokens()[j]};
                probabilities[j] = new double[] {p.rows() == null ? 1.0 : p.rows()[j][p.tokens()[j]]};
            }
            return new TreeCandidates(tokens, probabilities, p.passes());
        }

        /**
         * The target's hidden states (rows, layers · C, as {@link dev.specdiff4j.engine.model.CausalLanguageModel.Session#features}
         * lays them out) of the committed positions {@code from .. from+rows−1}; positions after them are forgotten. Only
         * drafters with {@link #targetFeatureLayers} are called.
         */
        default void observeTargetFeatures(int from, float[] features, int rows) {
        }

        @Override
        void close();
    }

    /**
     * @param tokens the γ proposed tokens
     * @param rows   the probability rows they were drawn from (for MARGINAL acceptance); null when greedy
     * @param guess  the proposed token after them, or -1
     * @param passes drafter model passes used
     */
    record Proposal(int[] tokens, double[][] rows, int guess, int passes) {
    }
}
