package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.batch.BatchScheduler;
import dev.specdiff4j.engine.batch.BatchSequence;
import dev.specdiff4j.engine.batch.BatchSettings;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A target and an autoregressive drafter of one tokenizer whose embeddings are padded to different row counts (the tiny
 * GPT-2 pair's 300 rows resized, {@link ResizedRowsModel}): a drafter with more rows drafts ids the target has none for, a
 * target with more rows emits ids the drafter has none for. Neither model is ever fed an id past its rows (the resized models
 * fail as an embedding lookup would), greedy speculation (linear, token tree, inside the batch) gives plain greedy decoding's
 * tokens, and sampled speculation completes and reproduces with its seed.
 */
class DifferingRowsDecodingTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static final int[] PROMPT = {5, 17, 42, 7};
    private static final int TOKENS = 40;
    private static TinyModels models;

    @BeforeAll
    static void load() throws IOException {
        models = TinyModels.load(KERNELS, KERNELS);
    }

    @AfterAll
    static void close() {
        models.close();
        KERNELS.close();
    }

    /** "wider drafter": target 300 rows, drafter 340; "wider target": target 340, drafter 250. */
    private record Pair(CausalLanguageModel target, CausalLanguageModel drafter) {
        static Pair of(String name) {
            return switch (name) {
                case "wider drafter" -> new Pair(new ResizedRowsModel(models.target(), 300), new ResizedRowsModel(models.smallDrafter(), 340));
                case "wider target" -> new Pair(new ResizedRowsModel(models.target(), 340), new ResizedRowsModel(models.smallDrafter(), 250));
                default -> throw new IllegalArgumentException(name);
            };
        }
    }

    /** The drafter, counting the drafted ids the target has no row for. */
    private static Drafter counting(Drafter inner, int targetRows, AtomicInteger outside) {
        return new Drafter() {
            @Override
            public String describe() {
                return inner.describe();
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
            public Session open(SamplingConfig sampling, long seed) {
                Session s = inner.open(sampling, seed);
                return new Session() {
                    @Override
                    public Proposal propose(int[] committed, int gamma, boolean withGuess, java.util.function.BooleanSupplier abandon) {
                        Proposal p = s.propose(committed, gamma, withGuess, abandon);
                        if (p != null) for (int t : p.tokens()) if (t >= targetRows) outside.incrementAndGet();
                        return p;
                    }

                    @Override
                    public TreeCandidates candidates(int[] committed, int gamma, int width) {
                        TreeCandidates c = s.candidates(committed, gamma, width);
                        for (int[] position : c.tokens()) for (int t : position) if (t >= targetRows) outside.incrementAndGet();
                        return c;
                    }

                    @Override
                    public void close() {
                        s.close();
                    }
                };
            }
        };
    }

    private static int[] plain(CausalLanguageModel target, SamplingConfig sampling) {
        List<Integer> out = new ArrayList<>();
        new AutoregressiveDecoder(target).decode(PROMPT, TOKENS, sampling, -1, collect(out), () -> false);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] speculative(Pair pair, SpeculativeSettings settings, AtomicInteger outside) {
        List<Integer> out = new ArrayList<>();
        Drafter drafter = counting(new AutoregressiveDrafter(pair.drafter()), pair.target().vocabSize(), outside);
        new SpeculativeDecoder(pair.target(), drafter, null).decode(PROMPT, TOKENS, settings, -1, collect(out), () -> false);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] batched(Pair pair, SpeculativeSettings settings) throws InterruptedException {
        try (BatchScheduler scheduler = new BatchScheduler(pair.target(), new BatchSettings(2, 8, Long.MAX_VALUE))) {
            BatchSequence s = scheduler.submitSpeculative(PROMPT, TOKENS, settings, new AutoregressiveDrafter(pair.drafter()), -1, () -> false);
            List<Integer> out = new ArrayList<>();
            for (int t = s.next(); t >= 0; t = s.next()) out.add(t);
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private static TokenSink collect(List<Integer> out) {
        return tokens -> {
            for (int t : tokens) out.add(t);
            return true;
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"wider drafter", "wider target"})
    void greedySpeculationGivesPlainGreedyDecodingsTokens(String name) throws InterruptedException {
        Pair pair = Pair.of(name);
        int[] want = plain(pair.target(), SamplingConfig.greedy());
        assertThat(want).hasSize(TOKENS);
        if (name.equals("wider target")) {
            assertThat(java.util.Arrays.stream(want).max().getAsInt()).as("the target emits ids the drafter has no row for").isGreaterThanOrEqualTo(250);
        }
        AtomicInteger outside = new AtomicInteger();
        for (int gamma : new int[] {1, 4}) {
            SpeculativeSettings linear = new SpeculativeSettings(gamma, gamma, gamma, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false);
            assertThat(speculative(pair, linear, outside)).as("%s: linear, γ %d", name, gamma).containsExactly(want);
            assertThat(batched(pair, linear)).as("%s: in the batch, γ %d", name, gamma).containsExactly(want);
            SpeculativeSettings tree = new SpeculativeSettings(gamma, gamma, gamma, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, 8);
            assertThat(speculative(pair, tree, outside)).as("%s: token tree, γ %d", name, gamma).containsExactly(want);
        }
        if (name.equals("wider drafter")) assertThat(outside.get()).as("drafted ids the target has no row for").isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"wider drafter", "wider target"})
    void sampledSpeculationCompletesAndReproducesWithItsSeed(String name) throws InterruptedException {
        Pair pair = Pair.of(name);
        SamplingConfig sampling = new SamplingConfig(1.0, 0, 1.0, 1234);
        for (AcceptancePolicy policy : new AcceptancePolicy[] {AcceptancePolicy.MARGINAL, AcceptancePolicy.STRICT}) {
            SpeculativeSettings settings = new SpeculativeSettings(3, 3, 3, policy, sampling, false);
            AtomicInteger outside = new AtomicInteger();
            int[] first = speculative(pair, settings, outside);
            assertThat(first).as("%s, %s", name, policy).hasSize(TOKENS);
            assertThat(speculative(pair, settings, new AtomicInteger())).as("%s, %s: again", name, policy).containsExactly(first);
            assertThat(batched(pair, settings)).as("%s, %s: in the batch", name, policy).containsExactly(first);
            if (name.equals("wider drafter")) assertThat(outside.get()).as("drafted ids the target has no row for").isPositive();
        }
    }
}
