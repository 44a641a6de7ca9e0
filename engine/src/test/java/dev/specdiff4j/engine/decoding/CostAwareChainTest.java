package dev.specdiff4j.engine.decoding;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cost-aware draft length ({@link SpeculativeSettings#TREE_CHAIN}): one candidate per position makes the tree a chain, and
 * the verification cost curve cuts it where the expected committed tokens per second peak. Expected values by hand.
 */
class CostAwareChainTest {
    /** Drafter probabilities 0.9, 0.5, 0.2 at positions 1..3, one candidate each (token ids 11, 12, 13). */
    private static final TreeCandidates CHAIN = new TreeCandidates(new int[][] {{11}, {12}, {13}},
            new double[][] {{0.9}, {0.5}, {0.2}}, 1);

    @Test
    void oneCandidatePerPositionGrowsAChainWithTheExpectedAcceptedTokens() {
        TokenTree tree = TokenTree.build(7, CHAIN, 64, new AcceptanceEstimate());
        assertThat(tree.tokens()).containsExactly(7, 11, 12, 13);
        assertThat(tree.parents()).containsExactly(-1, 0, 1, 2);
        // a fresh estimate scales by 1: 0.9, 0.9·0.5 = 0.45, 0.45·0.2 = 0.09
        assertThat(tree.expected()).containsExactly(new double[] {0, 0.9, 1.35, 1.44}, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void rowsThatCostAsMuchAsTheyBringCutTheChainShort() {
        TokenTree tree = TokenTree.build(7, CHAIN, 64, new AcceptanceEstimate());
        // every row costs 1 ms: b = 1: 1.9 / 2 ms = 0.95, b = 2: 2.35 / 3 ms = 0.78, b = 3: 2.44 / 4 ms = 0.61 tokens per ms
        VerifyCost linear = new VerifyCost(new int[] {1, 2, 4}, new double[] {1e6, 2e6, 4e6});
        assertThat(linear.bestBudget(tree, 0)).isEqualTo(1);
        // draft 2 ms: b = 1: 1.9 / 4 = 0.475, b = 2: 2.35 / 5 = 0.47, b = 3: 2.44 / 6 = 0.41: still 1
        assertThat(linear.bestBudget(tree, 2e6)).isEqualTo(1);
    }

    @Test
    void rowsThatCostNothingExtraKeepTheWholeChain() {
        TokenTree tree = TokenTree.build(7, CHAIN, 64, new AcceptanceEstimate());
        // a pass costs 1 ms whatever its rows: b = 3 commits 2.44 tokens per ms
        VerifyCost flat = new VerifyCost(new int[] {1, 2, 4}, new double[] {1e6, 1e6, 1e6});
        assertThat(flat.bestBudget(tree, 0)).isEqualTo(3);
        // rows at 0.2 ms each over 1 ms: b = 1: 1.9 / 1.2 = 1.58, b = 2: 2.35 / 1.4 = 1.68, b = 3: 2.44 / 1.6 = 1.525: 2
        VerifyCost mild = new VerifyCost(new int[] {1, 2, 4}, new double[] {1.0e6, 1.2e6, 1.6e6});
        assertThat(mild.bestBudget(tree, 0)).isEqualTo(2);
    }

    @Test
    void chainSettingsAreCostAwareAndRefuseWhatTreesRefuse() {
        SpeculativeSettings chain = new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false,
                SpeculativeSettings.TREE_CHAIN);
        assertThat(chain.usesTree()).isTrue();
        assertThat(chain.costAware()).isTrue();
        assertThat(new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, 4).costAware()).isFalse();
        assertThatThrownBy(() -> new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), true,
                SpeculativeSettings.TREE_CHAIN)).hasMessageContaining("overlapped");
        assertThatThrownBy(() -> new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, -3))
                .hasMessageContaining("chain");
    }
}
