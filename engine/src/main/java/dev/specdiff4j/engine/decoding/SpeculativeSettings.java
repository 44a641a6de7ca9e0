package dev.specdiff4j.engine.decoding;

/**
 * The knobs of a speculative decoding run.
 *
 * @param gamma      draft length γ (the starting one when adaptive)
 * @param minGamma   adaptive lower bound (= gamma when fixed)
 * @param maxGamma   adaptive upper bound (= gamma when fixed)
 * @param policy     acceptance policy
 * @param sampling   temperature / top-k / top-p / seed, applied to target and drafter alike
 * @param overlap    draft the next block while the target verifies the current one
 * @param tree       token-tree verification: 0 off (a linear draft of γ), N > 0 a tree of at most N drafted nodes and depth
 *                   γ, {@link #TREE_AUTO} a tree whose size each round chooses from the target's measured cost curve and the
 *                   recent acceptance (at most {@link #AUTO_TREE_MAX} nodes), {@link #TREE_CHAIN} a linear draft (one
 *                   candidate per position) whose length, at most γ, each round chooses the same way: cost-aware γ
 */
public record SpeculativeSettings(int gamma, int minGamma, int maxGamma, AcceptancePolicy policy, SamplingConfig sampling,
                                  boolean overlap, int tree) {
    /** The cost-aware tree budget. */
    public static final int TREE_AUTO = -1;
    /** The cost-aware draft length: a chain of at most γ nodes cut each round where the expected tokens per second peak. */
    public static final int TREE_CHAIN = -2;
    /** The largest tree the cost-aware budget considers. */
    public static final int AUTO_TREE_MAX = 64;
    /** Candidates per position a tree draws from. */
    public static final int TREE_WIDTH = 8;

    public SpeculativeSettings(int gamma, int minGamma, int maxGamma, AcceptancePolicy policy, SamplingConfig sampling, boolean overlap) {
        this(gamma, minGamma, maxGamma, policy, sampling, overlap, 0);
    }

    public SpeculativeSettings {
        if (tree < TREE_CHAIN || tree > 1024) {
            throw new IllegalArgumentException("the tree budget must be between 1 and 1024 nodes (or auto, or chain), got " + tree);
        }
        if (tree != 0 && overlap) throw new IllegalArgumentException("token trees and overlapped drafting cannot be combined");
        if (tree != 0 && minGamma != maxGamma) throw new IllegalArgumentException("token trees choose their own size; adaptive γ cannot be combined with them");
        if (tree != 0 && policy == AcceptancePolicy.MARGINAL) {
            throw new IllegalArgumentException("token trees verify with greedy or strict acceptance, not marginal");
        }
        if (minGamma < 1 || gamma < minGamma || gamma > maxGamma) {
            throw new IllegalArgumentException("need 1 <= min γ <= γ <= max γ, got " + minGamma + " <= " + gamma + " <= " + maxGamma);
        }
        if (policy == AcceptancePolicy.GREEDY && !sampling.isGreedy()) {
            throw new IllegalArgumentException("greedy acceptance needs temperature 0");
        }
    }

    public boolean usesTree() {
        return tree != 0;
    }

    /** Whether each round chooses its own size from the target's cost curve (auto trees and chains). */
    public boolean costAware() {
        return tree == TREE_AUTO || tree == TREE_CHAIN;
    }

    public boolean adaptive() {
        return minGamma != maxGamma;
    }

    /** The next γ: +2 after a fully accepted draft, −1 otherwise, within the bounds (fixed when not adaptive). */
    int next(int gamma, boolean allAccepted) {
        if (!adaptive()) return this.gamma;
        return allAccepted ? Math.min(maxGamma, gamma + 2) : Math.max(minGamma, gamma - 1);
    }
}
