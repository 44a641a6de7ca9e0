package dev.specdiff4j.engine.decoding;

/**
 * Decides how much of a draft the target accepts (docs/ALGORITHM.md, "Acceptance policies"), given the
 * target's γ+1 rows of one verification pass. Returns how many drafted tokens were accepted and the token
 * the target adds after them: the replacement for the first rejected one, or the bonus token when all were
 * accepted.
 *
 * <p>The drafter's rows may be shorter or longer than the target's (same tokenizer, embeddings padded differently): an id a
 * model has no row for has probability 0 there. A drafted id the target has no row for is therefore always rejected, and
 * the target never reads it: a verification pass stops before it ({@link #verifiable}), so {@code targetRows} may hold
 * just {@code verifiable(draft, vocab) + 1} rows.
 */
final class Acceptance {
    record Outcome(int accepted, int next) {
    }

    /** An acceptance rule; tests substitute deliberately broken ones to show the statistical tests catch them. */
    @FunctionalInterface
    interface Rule {
        Outcome decide(int[] draft, double[][] draftRows, float[][] targetRows, int vocab, SamplingConfig sampling, Sampler random);
    }

    static Rule of(AcceptancePolicy policy) {
        return (draft, draftRows, targetRows, vocab, sampling, random) -> decide(policy, draft, draftRows, targetRows, vocab, sampling, random);
    }

    private Acceptance() {
    }

    /** How many leading drafted tokens the target has rows for: the draft a verification pass feeds it. */
    static int verifiable(int[] draft, int vocab) {
        int k = 0;
        while (k < draft.length && draft[k] < vocab) k++;
        return k;
    }

    static Outcome decide(AcceptancePolicy policy, int[] draft, double[][] draftRows, float[][] targetRows, int vocab,
                          SamplingConfig sampling, Sampler random) {
        int gamma = draft.length;
        for (int j = 0; j < gamma; j++) {
            int d = draft[j];
            switch (policy) {
                case GREEDY -> {
                    int best = Probabilities.argmax(targetRows[j], vocab);
                    if (d != best) return new Outcome(j, best);
                }
                case STRICT -> {
                    double[] p = Probabilities.of(targetRows[j], vocab, sampling);
                    if (!(random.uniform() < at(p, d))) {
                        if (d < vocab) p[d] = 0;
                        return new Outcome(j, random.draw(normalised(p, targetRows[j], vocab, sampling)));
                    }
                }
                case MARGINAL -> {
                    double[] p = Probabilities.of(targetRows[j], vocab, sampling);
                    double[] q = draftRows == null ? null : draftRows[j];
                    if (!(random.uniform() < Math.min(1.0, at(p, d) / draftProbability(q, d, d)))) {
                        double[] residual = new double[vocab];
                        for (int v = 0; v < vocab; v++) residual[v] = Math.max(0, p[v] - draftProbability(q, d, v));
                        return new Outcome(j, random.draw(normalised(residual, targetRows[j], vocab, sampling)));
                    }
                }
            }
        }
        int bonus = policy == AcceptancePolicy.GREEDY ? Probabilities.argmax(targetRows[gamma], vocab)
                : random.draw(Probabilities.of(targetRows[gamma], vocab, sampling));
        return new Outcome(gamma, bonus);
    }

    /** Renormalises a row; if rounding left no mass at all, falls back to the target's own row. */
    private static double[] normalised(double[] row, float[] logits, int vocab, SamplingConfig sampling) {
        double sum = 0;
        for (double v : row) sum += v;
        if (!(sum > 1e-12)) return Probabilities.of(logits, vocab, sampling);
        for (int i = 0; i < row.length; i++) row[i] /= sum;
        return row;
    }

    /** A row's probability of an id, 0 past its end (an id that model has no row for). */
    private static double at(double[] row, int id) {
        return id < row.length ? row[id] : 0;
    }

    /** The drafter's probability of {@code id}; without rows the draft is a point mass at the drafted token {@code d}. */
    private static double draftProbability(double[] q, int d, int id) {
        return q == null ? (id == d ? 1 : 0) : at(q, id);
    }
}
