package dev.specdiff4j.engine.decoding;

/**
 * Deliberately wrong acceptance rules, each a plausible bug in {@link Acceptance}: the statistical tests must reject every
 * one of them with the same check that the correct policies pass.
 */
enum BrokenRule implements Acceptance.Rule {
    /** The classic bug: after rejecting a drafted token, sample from p instead of the residual max(0, p − q). */
    RESAMPLE_FROM_TARGET("after a rejection, sample from p instead of the residual") {
        @Override
        public Acceptance.Outcome decide(int[] draft, double[][] draftRows, float[][] targetRows, int vocab, SamplingConfig sampling,
                                         Sampler random) {
            for (int j = 0; j < draft.length; j++) {
                double[] p = Probabilities.of(targetRows[j], vocab, sampling);
                double q = draftRow(draftRows, j, draft, vocab)[draft[j]];
                if (!(random.uniform() < Math.min(1, p[draft[j]] / q))) return new Acceptance.Outcome(j, random.draw(p));
            }
            return bonus(draft, targetRows, vocab, sampling, random);
        }
    },
    /** Trusts the drafter outright. */
    ACCEPT_EVERY_DRAFT("accept every drafted token") {
        @Override
        public Acceptance.Outcome decide(int[] draft, double[][] draftRows, float[][] targetRows, int vocab, SamplingConfig sampling,
                                         Sampler random) {
            return bonus(draft, targetRows, vocab, sampling, random);
        }
    },
    /** Accepts with probability min(1, q/p) instead of min(1, p/q); the residual is right. */
    INVERTED_RATIO("accept with min(1, q/p) instead of min(1, p/q)") {
        @Override
        public Acceptance.Outcome decide(int[] draft, double[][] draftRows, float[][] targetRows, int vocab, SamplingConfig sampling,
                                         Sampler random) {
            for (int j = 0; j < draft.length; j++) {
                double[] p = Probabilities.of(targetRows[j], vocab, sampling);
                double[] q = draftRow(draftRows, j, draft, vocab);
                int d = draft[j];
                if (!(random.uniform() < Math.min(1, q[d] / p[d]))) {
                    double[] residual = new double[vocab];
                    double sum = 0;
                    for (int v = 0; v < vocab; v++) sum += residual[v] = Math.max(0, p[v] - q[v]);
                    return new Acceptance.Outcome(j, random.draw(sum > 0 ? residual : p));
                }
            }
            return bonus(draft, targetRows, vocab, sampling, random);
        }
    },
    /** STRICT acceptance (keep d with probability p(d)) that redraws from p without excluding the rejected token. */
    STRICT_REDRAWS_THE_REJECTED_TOKEN("STRICT, redraw from p without excluding the rejected token") {
        @Override
        public Acceptance.Outcome decide(int[] draft, double[][] draftRows, float[][] targetRows, int vocab, SamplingConfig sampling,
                                         Sampler random) {
            for (int j = 0; j < draft.length; j++) {
                double[] p = Probabilities.of(targetRows[j], vocab, sampling);
                if (!(random.uniform() < p[draft[j]])) return new Acceptance.Outcome(j, random.draw(p));
            }
            return bonus(draft, targetRows, vocab, sampling, random);
        }
    };

    private final String description;

    BrokenRule(String description) {
        this.description = description;
    }

    @Override
    public String toString() {
        return description;
    }

    /** The drafter's row q at position j; a drafter without rows proposed its token with certainty. */
    private static double[] draftRow(double[][] draftRows, int j, int[] draft, int vocab) {
        if (draftRows != null) return draftRows[j];
        double[] oneHot = new double[vocab];
        oneHot[draft[j]] = 1;
        return oneHot;
    }

    private static Acceptance.Outcome bonus(int[] draft, float[][] targetRows, int vocab, SamplingConfig sampling, Sampler random) {
        return new Acceptance.Outcome(draft.length, random.draw(Probabilities.of(targetRows[draft.length], vocab, sampling)));
    }
}
