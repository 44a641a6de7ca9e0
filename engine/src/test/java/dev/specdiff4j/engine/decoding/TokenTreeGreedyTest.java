package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Greedy token-tree decoding gives exactly the tokens of plain greedy decoding: many prompts, both real drafters (diffusion
 * in several drafting modes, small autoregressive), drafters that are always right, always wrong or mostly right, several
 * budgets and depths, the cost-aware budget, up to the context limit, and a target with tied logits.
 */
class TokenTreeGreedyTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static final VectorKernels DRAFT_KERNELS = new VectorKernels(1);
    private static TinyModels models;

    @BeforeAll
    static void load() throws IOException {
        models = TinyModels.load(KERNELS, DRAFT_KERNELS);
    }

    @AfterAll
    static void close() {
        models.close();
        KERNELS.close();
        DRAFT_KERNELS.close();
    }

    static SpeculativeSettings tree(int gamma, int budget) {
        return new SpeculativeSettings(gamma, gamma, gamma, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, budget);
    }

    private static Map<String, Drafter> drafters(CausalLanguageModel model) {
        Map<String, Drafter> d = new LinkedHashMap<>();
        d.put("diffusion cached", new DiffusionDrafter(models.diffusion(), 300, 1, new DraftingConfig(16, false, true)));
        d.put("diffusion exact", new DiffusionDrafter(models.diffusion(), 300, 2, new DraftingConfig(32, false, false)));
        d.put("diffusion padded", new DiffusionDrafter(models.diffusion(), 300, 1, new DraftingConfig(12, true, true)));
        d.put("small autoregressive", new AutoregressiveDrafter(models.smallDrafter()));
        d.put("target itself (always right)", new AutoregressiveDrafter(model));
        d.put("always wrong", TestDrafters.oracle(model, 0.0));
        d.put("mostly right", TestDrafters.oracle(model, 0.9));
        return d;
    }

    @Test
    void everyDrafterAndBudgetGivesExactlyTheGreedyTokens() {
        for (int[] prompt : SpeculativeGreedyTest.prompts(8, 300, 11)) {
            int[] expected = SpeculativeGreedyTest.autoregressive(models.target(), prompt, 24);
            for (Map.Entry<String, Drafter> e : drafters(models.target()).entrySet()) {
                for (int[] shape : new int[][] {{1, 1}, {3, 2}, {3, 8}, {6, 16}, {8, 40}, {5, SpeculativeSettings.TREE_AUTO}}) {
                    int[] got = SpeculativeGreedyTest.speculative(models.target(), e.getValue(), prompt, 24, tree(shape[0], shape[1])).tokens();
                    assertThat(got).as("%s, γ=%d, tree %d, prompt of %d", e.getKey(), shape[0], shape[1], prompt.length).containsExactly(expected);
                }
            }
        }
    }

    @Test
    void aTreeAcceptsMoreThanItsChainWhenTheDrafterHasTheRightTokenAmongItsCandidates() {
        // the tiny random MDLM's top guess is rarely the target's, but its candidates sometimes are: the wider tree must
        // accept more per round than the one-node-per-position chain built from the same candidates
        Drafter mdlm = new DiffusionDrafter(models.diffusion(), 300, 1, new DraftingConfig(16, false, true));
        int chainAccepted = 0;
        int treeAccepted = 0;
        for (int[] prompt : SpeculativeGreedyTest.prompts(6, 300, 12)) {
            chainAccepted += SpeculativeGreedyTest.speculative(models.target(), mdlm, prompt, 30, tree(3, 1)).stats().accepted();
            treeAccepted += SpeculativeGreedyTest.speculative(models.target(), mdlm, prompt, 30, tree(3, 48)).stats().accepted();
        }
        assertThat(treeAccepted).isGreaterThan(chainAccepted);
    }

    @Test
    void anAlwaysRightDrafterIsAcceptedWhole() {
        // the oracle offers one candidate per position with certainty: the tree is its chain, and every round takes it all
        int[] prompt = SpeculativeGreedyTest.prompts(1, 300, 13).get(0);
        DecodeStats s = SpeculativeGreedyTest.speculative(models.target(), TestDrafters.oracle(models.target(), 1.0), prompt, 30, tree(4, 12)).stats();
        // every round but the last (cut at the token limit) accepts the whole depth of 4
        assertThat(s.accepted()).isGreaterThanOrEqualTo(4 * (s.rounds() - 1));
        assertThat(s.meanTokensPerRound()).isGreaterThan(4.5);
    }

    @Test
    void runsToTheContextLimitLikePlainDecoding() {
        int[] prompt = SpeculativeGreedyTest.prompts(1, 300, 5).get(0);
        int[] longPrompt = new int[55];
        for (int i = 0; i < longPrompt.length; i++) longPrompt[i] = prompt[i % prompt.length];
        int[] expected = SpeculativeGreedyTest.autoregressive(models.target(), longPrompt, 100);
        for (Map.Entry<String, Drafter> e : drafters(models.target()).entrySet()) {
            for (int budget : new int[] {6, 30}) {
                assertThat(SpeculativeGreedyTest.speculative(models.target(), e.getValue(), longPrompt, 100, tree(6, budget)).tokens())
                        .as("%s, tree %d", e.getKey(), budget).containsExactly(expected);
            }
        }
    }

    @Test
    void tiesInTheTargetLogits(@TempDir Path dir) throws IOException {
        try (Gpt2 model = Gpt2.load(SpeculativeGreedyTest.withTiedTokens(dir.resolve("tied")), new LoadOptions(null, KERNELS))) {
            for (int[] prompt : SpeculativeGreedyTest.prompts(6, 300, 6)) {
                int[] expected = SpeculativeGreedyTest.autoregressive(model, prompt, 24);
                for (Map.Entry<String, Drafter> e : drafters(model).entrySet()) {
                    assertThat(SpeculativeGreedyTest.speculative(model, e.getValue(), prompt, 24, tree(4, 20)).tokens())
                            .as("%s", e.getKey()).containsExactly(expected);
                }
            }
        }
    }

    @Test
    void settingsThatCannotGoWithTreesAreRejected() {
        assertThatThrownBy(() -> new SpeculativeSettings(3, 3, 3, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), true, 8))
                .hasMessageContaining("overlapped");
        assertThatThrownBy(() -> new SpeculativeSettings(3, 1, 8, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, 8))
                .hasMessageContaining("adaptive");
        assertThatThrownBy(() -> new SpeculativeSettings(3, 3, 3, AcceptancePolicy.MARGINAL, new SamplingConfig(1, 0, 1, 0), false, 8))
                .hasMessageContaining("marginal");
        assertThatThrownBy(() -> new SpeculativeSettings(3, 3, 3, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, -3))
                .hasMessageContaining("tree budget");
    }
}
