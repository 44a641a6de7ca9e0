package dev.specdiff4j.engine.decoding;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Building a token tree: best first by the product of estimated acceptance along the path, prefix-closed, within budget. */
class TokenTreeTest {
    /** Position 0 offers a (0.6) and b (0.3), position 1 offers c (0.5) and d (0.2); no calibration evidence yet (scale 1). */
    private static final TreeCandidates CANDIDATES = new TreeCandidates(
            new int[][] {{10, 11}, {20, 21}}, new double[][] {{0.6, 0.3}, {0.5, 0.2}}, 1);

    @Test
    void nodesComeInOrderOfPathProbability() {
        TokenTree t = TokenTree.build(99, CANDIDATES, 6, new AcceptanceEstimate());
        // values by hand: a 0.6, b 0.3, a→c 0.3, b→c 0.15, a→d 0.12, b→d 0.06 (ties: shallower first)
        assertThat(t.tokens()).containsExactly(99, 10, 11, 20, 20, 21, 21);
        assertThat(t.parents()).containsExactly(-1, 0, 0, 1, 2, 1, 2);
        assertThat(t.depths()).containsExactly(0, 1, 1, 2, 2, 2, 2);
        assertThat(t.expected()[3]).isCloseTo(1.2, within(1e-12));
        assertThat(t.expected()[6]).isCloseTo(1.53, within(1e-12));
    }

    @Test
    void theBudgetAndPrefixCutKeepTheTreePrefixClosed() {
        TokenTree t = TokenTree.build(99, CANDIDATES, 2, new AcceptanceEstimate());
        assertThat(t.budget()).isEqualTo(2);
        assertThat(t.tokens()).containsExactly(99, 10, 11);
        TokenTree cut = TokenTree.build(99, CANDIDATES, 6, new AcceptanceEstimate()).prefix(3);
        assertThat(cut.parents()).containsExactly(-1, 0, 0, 1);
        for (int i = 1; i < cut.parents().length; i++) assertThat(cut.parents()[i]).isLessThan(i);
    }

    @Test
    void calibrationRaisesTheEstimateOfAPositionThatIsAcceptedMoreOftenThanItsProbabilitySays() {
        AcceptanceEstimate estimate = new AcceptanceEstimate();
        TokenTree chain = TokenTree.build(99, CANDIDATES, 2, estimate).prefix(1); // root → a
        // position 0 offered a (0.6) ten times and a was accepted every time: scale (10 + 1) / (6 + 1)
        for (int i = 0; i < 10; i++) estimate.record(chain, CANDIDATES, new int[] {0, 1});
        assertThat(estimate.of(CANDIDATES, 0, 1)).isCloseTo(0.3 * 11 / 7, within(1e-12));
        assertThat(estimate.of(CANDIDATES, 0, 0)).isCloseTo(0.6 * 11 / 7, within(1e-12));
        assertThat(estimate.of(CANDIDATES, 1, 0)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void topKeepsTheLargestInOrderWithLowerIdsFirstOnTies() {
        assertThat(TreeCandidates.top(new double[] {0.1, 0.4, 0.1, 0.3, 0.1}, 3)).containsExactly(1, 3, 0);
        assertThat(TreeCandidates.top(new double[] {0.5, 0.5}, 4)).containsExactly(0, 1);
    }
}
