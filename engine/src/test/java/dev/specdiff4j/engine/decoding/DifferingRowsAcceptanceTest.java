package dev.specdiff4j.engine.decoding;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Acceptance when drafter and target have different row counts: an id a model has no row for has probability 0 there. Each
 * rule runs many times on one round (one seed each) and the frequency of every outcome must match the probability worked
 * out by hand below.
 */
class DifferingRowsAcceptanceTest {
    private static final int RUNS = 40_000;
    private static final double TOLERANCE = 0.01; // five standard deviations of a frequency near 0.5 over RUNS runs
    private static final SamplingConfig SAMPLING = new SamplingConfig(1.0, 0, 1.0, 0);

    /** Logits whose softmax at temperature 1 is {@code p}. */
    private static float[] logitsOf(double... p) {
        float[] logits = new float[p.length];
        for (int i = 0; i < p.length; i++) logits[i] = (float) Math.log(p[i]);
        return logits;
    }

    /** Frequencies of "accepted/next" over RUNS seeds. */
    private static Map<String, Double> frequencies(AcceptancePolicy policy, int[] draft, double[][] draftRows, float[][] targetRows, int vocab) {
        Map<String, Double> counts = new LinkedHashMap<>();
        for (int seed = 0; seed < RUNS; seed++) {
            Sampler random = new Sampler(new SamplingConfig(1.0, 0, 1.0, seed));
            Acceptance.Outcome o = Acceptance.decide(policy, draft, draftRows, targetRows, vocab, SAMPLING, random);
            counts.merge(o.accepted() + "/" + o.next(), 1.0 / RUNS, Double::sum);
        }
        return counts;
    }

    private static void assertFrequencies(Map<String, Double> got, Map<String, Double> want) {
        assertThat(got.keySet()).as("outcomes").containsExactlyInAnyOrderElementsOf(want.keySet());
        for (Map.Entry<String, Double> e : want.entrySet()) {
            assertThat(got.get(e.getKey())).as("P(%s)", e.getKey()).isCloseTo(e.getValue(), within(TOLERANCE));
        }
    }

    @Test
    void aDraftedIdTheTargetHasNoRowForIsRejectedAndTheResidualIsOverTheTargetsRows() {
        // target p = [0.5, 0.3, 0.2] (3 rows), drafter q = [0.1, 0.2, 0.3, 0.4] (4 rows), draft id 3:
        // p(3) = 0, so min(1, p/q) = 0: always rejected; residual max(0, p - q) over ids 0..2 = [0.4, 0.1, 0] → [0.8, 0.2, 0]
        float[][] targetRows = {logitsOf(0.5, 0.3, 0.2)}; // the pass stops before id 3: one row
        double[][] q = {{0.1, 0.2, 0.3, 0.4}};
        assertFrequencies(frequencies(AcceptancePolicy.MARGINAL, new int[] {3}, q, targetRows, 3), Map.of("0/0", 0.8, "0/1", 0.2));
        // STRICT: accepted with p(3) = 0, never; the replacement from p without 3, which is p itself
        assertFrequencies(frequencies(AcceptancePolicy.STRICT, new int[] {3}, null, targetRows, 3), Map.of("0/0", 0.5, "0/1", 0.3, "0/2", 0.2));
        // GREEDY: the argmax, id 0
        assertFrequencies(frequencies(AcceptancePolicy.GREEDY, new int[] {3}, null, targetRows, 3), Map.of("0/0", 1.0));
    }

    @Test
    void theResidualLeavesOutTheDrafterRowsTheTargetLacks() {
        // the same pair, draft id 2: accepted with min(1, 0.2 / 0.3) = 2/3, then the bonus from the second row (all on id 1);
        // rejected (1/3) → residual [0.8, 0.2]: the drafter's mass on id 3 takes nothing from the target's rows
        float[][] targetRows = {logitsOf(0.5, 0.3, 0.2), logitsOf(1e-9, 1 - 2e-9, 1e-9)};
        double[][] q = {{0.1, 0.2, 0.3, 0.4}};
        Map<String, Double> got = frequencies(AcceptancePolicy.MARGINAL, new int[] {2}, q, targetRows, 3);
        assertFrequencies(got, Map.of("1/1", 2.0 / 3, "0/0", 1.0 / 3 * 0.8, "0/1", 1.0 / 3 * 0.2));
    }

    @Test
    void targetRowsTheDrafterLacksHaveDrafterProbabilityZero() {
        // target p = [0.4, 0.3, 0.2, 0.1] (4 rows), drafter q = [0.25, 0.75] (2 rows), draft id 1: accepted with 0.3 / 0.75 = 0.4;
        // rejected (0.6) → residual max(0, p - q) = [0.15, 0, 0.2, 0.1] → [1/3, 0, 4/9, 2/9] (ids 2 and 3 keep their whole p)
        float[][] targetRows = {logitsOf(0.4, 0.3, 0.2, 0.1), logitsOf(1 - 3e-9, 1e-9, 1e-9, 1e-9)};
        double[][] q = {{0.25, 0.75}};
        Map<String, Double> got = frequencies(AcceptancePolicy.MARGINAL, new int[] {1}, q, targetRows, 4);
        assertFrequencies(got, Map.of("1/0", 0.4, "0/0", 0.6 / 3, "0/2", 0.6 * 4 / 9, "0/3", 0.6 * 2 / 9));
    }

    @Test
    void aVerificationPassStopsBeforeTheFirstIdTheTargetHasNoRowFor() {
        assertThat(Acceptance.verifiable(new int[] {1, 2, 5, 0}, 3)).isEqualTo(2);
        assertThat(Acceptance.verifiable(new int[] {1, 2}, 3)).isEqualTo(2);
        assertThat(Acceptance.verifiable(new int[] {3}, 3)).isZero();
        SpeculativeRounds rounds = new SpeculativeRounds(new SpeculativeSettings(2, 2, 2, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false), 3);
        float[][] threeRows = {logitsOf(0.2, 0.5, 0.3), logitsOf(0.2, 0.3, 0.5), logitsOf(0.5, 0.3, 0.2)};
        assertThatThrownBy(() -> rounds.verify(new int[] {1, 4}, null, threeRows)).hasMessageContaining("1 of them with target rows, needs 2 target rows");
        // draft 1 is the argmax of the first row, 4 has no row: one accepted, then the second row's argmax
        SpeculativeRounds.Outcome o = rounds.verify(new int[] {1, 4}, null, new float[][] {threeRows[0], threeRows[1]});
        assertThat(o).isEqualTo(new SpeculativeRounds.Outcome(1, 2));
    }

    @Test
    void treeCandidatesDropIdsTheTargetHasNoRowForAndStopAtAnEmptyPosition() {
        TreeCandidates c = new TreeCandidates(new int[][] {{4, 1, 2}, {0, 7}, {5}, {1}}, new double[][] {{0.5, 0.3, 0.1}, {0.6, 0.2}, {0.9}, {0.8}}, 3);
        TreeCandidates kept = c.within(3);
        assertThat(kept.tokens()).isDeepEqualTo(new int[][] {{1, 2}, {0}});
        assertThat(kept.probabilities()).isDeepEqualTo(new double[][] {{0.3, 0.1}, {0.6}});
        assertThat(kept.passes()).isEqualTo(3);
    }
}
