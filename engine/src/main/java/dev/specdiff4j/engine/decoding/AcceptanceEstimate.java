package dev.specdiff4j.engine.decoding;

/**
 * The estimated probability that verification accepts a tree candidate once its parent was accepted: the drafter's own
 * probability scaled by a per-depth calibration learnt from this generation's rounds. A drafter's marginals are not
 * acceptance rates (the diffusion drafter's are too flat far from the prefix, and too sure near it), so every round
 * records, at each depth that verification reached, the drafter probability mass of the candidates offered there and
 * whether one of them was accepted; the scale is (hits + 1) / (offered mass + 1), a ratio that starts at 1 and follows the
 * evidence. One per generation.
 */
public final class AcceptanceEstimate {
    private static final int MAX_DEPTH = 256;
    private final double[] hits = new double[MAX_DEPTH];
    private final double[] offered = new double[MAX_DEPTH];

    /** The estimated acceptance probability of the rank-th candidate at position j. */
    double of(TreeCandidates candidates, int j, int rank) {
        double scale = (hits[Math.min(j, MAX_DEPTH - 1)] + 1) / (offered[Math.min(j, MAX_DEPTH - 1)] + 1);
        return Math.min(1.0, candidates.probabilities()[j][rank] * scale);
    }

    /**
     * Records a round: verification stood at each node of {@code path} (root first) and accepted the next one; at the last
     * it accepted none of the children.
     */
    void record(TokenTree tree, TreeCandidates candidates, int[] path) {
        for (int s = 0; s < path.length; s++) {
            int node = path[s];
            int j = tree.depths()[node];
            if (j >= candidates.depth()) break;
            int[] children = tree.children(node);
            if (children.length == 0) break;
            double mass = 0;
            for (int c : children) mass += probabilityOf(candidates, j, tree.tokens()[c]);
            int slot = Math.min(j, MAX_DEPTH - 1);
            offered[slot] += mass;
            if (s + 1 < path.length) hits[slot] += 1;
        }
    }

    private static double probabilityOf(TreeCandidates candidates, int j, int token) {
        int[] t = candidates.tokens()[j];
        for (int i = 0; i < t.length; i++) if (t[i] == token) return candidates.probabilities()[j][i];
        return 0;
    }

    /** The calibration scale at position j (for reports). */
    public double scale(int j) {
        return (hits[j] + 1) / (offered[j] + 1);
    }
}
