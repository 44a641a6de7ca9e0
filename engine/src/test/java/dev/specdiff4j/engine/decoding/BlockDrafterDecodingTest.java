package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.BlockDiffusionDrafter;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The block drafter inside speculative decoding: greedy output is plain greedy output (linear rounds and token trees), the
 * target's features reach the drafter for exactly the committed positions and equal those of one pass over the committed
 * text, overlap is refused, and under STRICT acceptance it drafts each row's most likely token.
 */
class BlockDrafterDecodingTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static TinyModels models;
    private static BlockDiffusionDrafter block;

    @BeforeAll
    static void load() throws IOException {
        models = TinyModels.load(KERNELS, KERNELS);
        block = BlockDiffusionDrafter.load(Fixtures.folder("block-drafter-tiny"), models.target(), new LoadOptions(null, KERNELS));
    }

    @AfterAll
    static void close() {
        block.close();
        models.close();
        KERNELS.close();
    }

    @Test
    void greedyOutputIsPlainGreedyOutput() {
        Drafter drafter = new BlockDrafter(block);
        for (int[] prompt : SpeculativeGreedyTest.prompts(6, 300, 18)) {
            int[] expected = SpeculativeGreedyTest.autoregressive(models.target(), prompt, 24);
            for (int gamma : new int[] {1, 2, 4}) {
                assertThat(SpeculativeGreedyTest.speculative(models.target(), drafter, prompt, 24, SpeculativeGreedyTest.greedy(gamma, false)).tokens())
                        .as("γ=%d, prompt of %d", gamma, prompt.length).containsExactly(expected);
            }
            SpeculativeSettings tree = new SpeculativeSettings(3, 3, 3, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, 6);
            assertThat(SpeculativeGreedyTest.speculative(models.target(), drafter, prompt, 24, tree).tokens())
                    .as("tree of 6, prompt of %d", prompt.length).containsExactly(expected);
        }
    }

    /**
     * The cost-aware draft length (a chain cut each round) gives plain greedy output, drafts at least one and at most γ tokens a
     * round, and a forced tree budget is used as given: every round verifies exactly that many nodes.
     */
    @Test
    void costAwareChainGivesPlainGreedyOutputAndForcedBudgetsWin() {
        Drafter drafter = new BlockDrafter(block);
        for (int[] prompt : SpeculativeGreedyTest.prompts(4, 300, 19)) {
            int[] expected = SpeculativeGreedyTest.autoregressive(models.target(), prompt, 24);
            SpeculativeSettings chain = new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false,
                    SpeculativeSettings.TREE_CHAIN);
            SpeculativeGreedyTest.DecodeResult r = SpeculativeGreedyTest.speculative(models.target(), drafter, prompt, 24, chain);
            assertThat(r.tokens()).as("chain, prompt of %d", prompt.length).containsExactly(expected);
            assertThat(r.stats().drafted()).isBetween(r.stats().rounds(), 4 * r.stats().rounds());
            SpeculativeSettings forced = new SpeculativeSettings(2, 2, 2, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, 2);
            SpeculativeGreedyTest.DecodeResult f = SpeculativeGreedyTest.speculative(models.target(), drafter, prompt, 24, forced);
            assertThat(f.tokens()).as("tree of 2, prompt of %d", prompt.length).containsExactly(expected);
            assertThat(f.stats().drafted()).isEqualTo(2 * f.stats().rounds());
        }
    }

    /**
     * Wraps a drafter that is often right (so that rounds accept several tokens) and checks at every proposal that the features
     * handed over so far cover exactly the committed positions but the last, and equal, bit for bit, those of one target pass
     * over them.
     */
    private static Drafter checking(Drafter inner, int[] layers, AtomicInteger checks) {
        return new Drafter() {
            @Override
            public String describe() {
                return "feature-checking " + inner.describe();
            }

            @Override
            public int draftVocab() {
                return inner.draftVocab();
            }

            @Override
            public long sessionBytes() {
                return inner.sessionBytes();
            }

            @Override
            public int[] targetFeatureLayers() {
                return layers;
            }

            @Override
            public Session open(SamplingConfig sampling, long seed) {
                Session wrapped = inner.open(sampling, seed);
                return new Session() {
                    private float[] seen = new float[0];
                    private int known;
                    private int width;

                    private void check(int[] committed) {
                        assertThat(known).as("positions handed over before drafting after %d tokens", committed.length).isEqualTo(committed.length - 1);
                        if (known == 0) return;
                        try (CausalLanguageModel.Session reference = models.target().newSession()) {
                            reference.captureFeatures(layers);
                            reference.forward(Arrays.copyOf(committed, known), 0);
                            assertThat(Arrays.copyOf(seen, known * width)).containsExactly(reference.features());
                        }
                        checks.incrementAndGet();
                    }

                    @Override
                    public Proposal propose(int[] committed, int gamma, boolean withGuess, BooleanSupplier abandon) {
                        check(committed);
                        return wrapped.propose(committed, gamma, withGuess, abandon);
                    }

                    @Override
                    public TreeCandidates candidates(int[] committed, int gamma, int width) {
                        check(committed);
                        return wrapped.candidates(committed, gamma, width);
                    }

                    @Override
                    public void observeTargetFeatures(int from, float[] features, int rows) {
                        width = 64 * layers.length;
                        assertThat(from).isLessThanOrEqualTo(known);
                        assertThat(features.length % width).as("whole rows").isZero();
                        assertThat(features.length / width).isGreaterThanOrEqualTo(rows);
                        if (seen.length < (from + rows) * width) seen = Arrays.copyOf(seen, (from + rows) * width * 2);
                        System.arraycopy(features, 0, seen, from * width, rows * width);
                        known = from + rows;
                    }

                    @Override
                    public void close() {
                        wrapped.close();
                    }
                };
            }
        };
    }

    @Test
    void theDrafterGetsTheTargetsFeaturesOfExactlyTheCommittedText() {
        AtomicInteger checks = new AtomicInteger();
        int[] layers = {1, 0};
        int rounds = 0;
        int accepted = 0;
        for (int[] prompt : SpeculativeGreedyTest.prompts(4, 300, 7)) {
            int[] expected = SpeculativeGreedyTest.autoregressive(models.target(), prompt, 20);
            var linear = SpeculativeGreedyTest.speculative(models.target(), checking(TestDrafters.oracle(models.target(), 0.95), layers, checks),
                    prompt, 20, SpeculativeGreedyTest.greedy(3, false));
            assertThat(linear.tokens()).containsExactly(expected);
            rounds += linear.stats().rounds();
            accepted += linear.stats().accepted();
            SpeculativeSettings tree = new SpeculativeSettings(3, 3, 3, AcceptancePolicy.STRICT, new SamplingConfig(1.0, 4, 1.0, 5), false, 8);
            SpeculativeGreedyTest.speculative(models.target(), checking(TestDrafters.targetTree(models.target(), 3), layers, checks), prompt, 20, tree);
        }
        assertThat(accepted).as("rounds that accept several tokens (so that several rows are handed over at once)").isGreaterThan(rounds);
        assertThat(checks.get()).isGreaterThan(20);
    }

    /** The drafter's proposal after {@code committed}, with the target's features of every committed position but the last. */
    private static Drafter.Proposal proposal(int[] committed, SamplingConfig sampling, long seed, AcceptancePolicy policy) {
        BlockDrafter drafter = new BlockDrafter(block);
        try (CausalLanguageModel.Session target = models.target().newSession();
             Drafter.Session drafts = drafter.open(sampling, seed, policy)) {
            target.captureFeatures(drafter.targetFeatureLayers());
            target.forward(Arrays.copyOf(committed, committed.length - 1), 0);
            drafts.observeTargetFeatures(0, target.features(), committed.length - 1);
            return drafts.propose(committed, 4, false, () -> false);
        }
    }

    /**
     * STRICT accepts a fixed guess whatever chose it, so there the drafter guesses each row's most likely token (the greedy
     * proposal, for every seed and temperature); MARGINAL needs drafts drawn from the rows it is given, so there it draws,
     * from its own distribution at temperature 1 whatever the request's (the rows are the same at T = 1.5 and T = 0.5).
     */
    @Test
    void strictDraftsEachRowsMostLikelyTokenAndMarginalDrawsThem() {
        int drawnDiffer = 0;
        for (int[] committed : SpeculativeGreedyTest.prompts(3, 300, 21)) {
            int[] greedy = proposal(committed, SamplingConfig.greedy(), 0, AcceptancePolicy.GREEDY).tokens();
            for (long seed = 1; seed <= 8; seed++) {
                Drafter.Proposal strict = proposal(committed, SamplingConfig.sampling(1.5, seed), seed, AcceptancePolicy.STRICT);
                assertThat(strict.tokens()).as("STRICT, seed %d", seed).containsExactly(greedy);
                Drafter.Proposal marginal = proposal(committed, SamplingConfig.sampling(1.5, seed), seed, AcceptancePolicy.MARGINAL);
                assertThat(marginal.rows()).as("MARGINAL hands over the rows it drew from").hasNumberOfRows(4);
                for (int j = 0; j < 4; j++) assertThat(marginal.rows()[j][marginal.tokens()[j]]).isPositive();
                Drafter.Proposal colder = proposal(committed, SamplingConfig.sampling(0.5, seed), seed, AcceptancePolicy.MARGINAL);
                for (int j = 0; j < 4; j++) {
                    assertThat(colder.rows()[j]).as("row %d at T = 0.5 and 1.5", j).containsExactly(marginal.rows()[j]);
                }
                if (!Arrays.equals(marginal.tokens(), greedy)) drawnDiffer++;
            }
        }
        assertThat(drawnDiffer).as("MARGINAL proposals that are not the greedy one").isGreaterThan(12);
    }

    @Test
    void overlapIsRefusedWithTheReason() {
        assertThatThrownBy(() -> SpeculativeGreedyTest.speculative(models.target(), new BlockDrafter(block), new int[] {1, 2, 3}, 8,
                SpeculativeGreedyTest.greedy(2, true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overlapped drafting cannot be combined with a drafter that reads the target's hidden states");
    }

    @Test
    void aGammaBeyondTheBlockIsRefused() {
        assertThatThrownBy(() -> SpeculativeGreedyTest.speculative(models.target(), new BlockDrafter(block), new int[] {1, 2, 3}, 8,
                SpeculativeGreedyTest.greedy(5, false)))
                .hasMessageContaining("gamma 5 is more than the block drafter drafts (4");
    }
}
