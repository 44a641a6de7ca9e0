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
 */
public record SpeculativeSettings(int gamma, int minGamma, int maxGamma, AcceptancePolicy policy, SamplingConfig sampling,
                                  boolean overlap) {
    public SpeculativeSettings {
        if (minGamma < 1 || gamma < minGamma || gamma > maxGamma) {
            throw new IllegalArgumentException("need 1 <= min γ <= γ <= max γ, got " + minGamma + " <= " + gamma + " <= " + maxGamma);
        }
        if (policy == AcceptancePolicy.GREEDY && !sampling.isGreedy()) {
            throw new IllegalArgumentException("greedy acceptance needs temperature 0");
        }
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
