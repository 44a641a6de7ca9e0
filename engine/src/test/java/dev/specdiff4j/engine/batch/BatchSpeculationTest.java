package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.AutoregressiveDecoder;
import dev.specdiff4j.engine.decoding.AutoregressiveDrafter;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.DiffusionDrafter;
import dev.specdiff4j.engine.decoding.Drafter;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.decoding.SpeculativeDecoder;
import dev.specdiff4j.engine.decoding.SpeculativeSettings;
import dev.specdiff4j.engine.decoding.TokenSink;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Speculation inside the batch: speculative requests (AR and MDLM drafters, fixed and adaptive γ) verified in the same passes
 * as plain requests, joining at random moments and some leaving after a random number of tokens, produce the tokens of
 * {@link SpeculativeDecoder} alone (greedy: those of plain greedy decoding too; sampled: the same seeded tokens), whatever the
 * load does to the greedy drafts' length.
 */
class BatchSpeculationTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static Gpt2 target;
    private static Gpt2 small;
    private static MaskedDiffusionLm diffusion;

    @BeforeAll
    static void load() throws IOException {
        target = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, KERNELS));
        small = Gpt2.load(Fixtures.folder("gpt2-tiny-drafter"), new LoadOptions(null, KERNELS));
        diffusion = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, KERNELS));
    }

    @AfterAll
    static void close() {
        target.close();
        small.close();
        diffusion.close();
        KERNELS.close();
    }

    /** A request; {@code settings} null: plain decoding. */
    private record Request(int[] prompt, int maxTokens, SamplingConfig sampling, SpeculativeSettings settings, Drafter drafter,
                           int leaveAfter) {
    }

    private static List<Integer> alone(Request r) {
        List<Integer> out = new ArrayList<>();
        TokenSink sink = t -> {
            out.add(t[0]);
            return out.size() < r.leaveAfter;
        };
        if (r.settings == null) new AutoregressiveDecoder(target).decode(r.prompt, r.maxTokens, r.sampling, -1, sink, () -> false);
        else new SpeculativeDecoder(target, r.drafter, null).decode(r.prompt, r.maxTokens, r.settings, -1, sink, () -> false);
        return out;
    }

    private static List<Request> requests(long seed, int count, boolean sampled) {
        Random r = new Random(seed);
        List<Drafter> drafters = List.of(new AutoregressiveDrafter(small),
                new DiffusionDrafter(diffusion, 300, 2, new DraftingConfig(24, false, true)));
        List<Request> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + r.nextInt(20)];
            for (int j = 0; j < prompt.length; j++) prompt[j] = r.nextInt(target.vocabSize());
            int maxTokens = r.nextInt(64 - prompt.length + 4); // some run into the context limit
            SamplingConfig sampling = sampled ? new SamplingConfig(0.8 + 0.1 * r.nextInt(3), 0, 0.95, r.nextLong()) : SamplingConfig.greedy();
            int leaveAfter = r.nextInt(3) == 0 ? 1 + r.nextInt(10) : Integer.MAX_VALUE;
            SpeculativeSettings settings = null;
            Drafter drafter = null;
            if (r.nextInt(4) != 0) { // three in four speculate
                int gamma = 1 + r.nextInt(5);
                boolean adaptive = r.nextBoolean();
                AcceptancePolicy policy = !sampled ? AcceptancePolicy.GREEDY : r.nextBoolean() ? AcceptancePolicy.STRICT : AcceptancePolicy.MARGINAL;
                settings = new SpeculativeSettings(gamma, adaptive ? 1 : gamma, adaptive ? 8 : gamma, policy, sampling, false);
                drafter = drafters.get(r.nextInt(drafters.size()));
            }
            list.add(new Request(prompt, maxTokens, sampling, settings, drafter, leaveAfter));
        }
        return list;
    }

    /** Runs the requests on many threads that start at random moments; returns each one's tokens and stats. */
    private static List<List<Integer>> concurrently(BatchScheduler scheduler, List<Request> requests, long seed, List<DecodeStats> stats)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(requests.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<Integer>>> futures = new ArrayList<>();
            List<Future<DecodeStats>> statFutures = new ArrayList<>();
            Random r = new Random(seed);
            for (Request q : requests) {
                int delayMillis = r.nextInt(40);
                List<Integer> out = new ArrayList<>();
                Future<DecodeStats> f = pool.submit(() -> {
                    go.await();
                    Thread.sleep(delayMillis); // joins the batch at some step
                    TokenSink sink = t -> {
                        out.add(t[0]);
                        return out.size() < q.leaveAfter;
                    };
                    BatchedDecoder decoder = new BatchedDecoder(scheduler);
                    DecodeStats s = q.settings == null ? decoder.decode(q.prompt, q.maxTokens, q.sampling, -1, sink, () -> false)
                            : decoder.decode(q.prompt, q.maxTokens, q.settings, q.drafter, -1, sink, () -> false);
                    assertThat(s.generatedTokens()).isEqualTo(out.size());
                    return s;
                });
                statFutures.add(f);
                futures.add(pool.submit(() -> {
                    f.get();
                    return out;
                }));
            }
            go.countDown();
            List<List<Integer>> results = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                results.add(futures.get(i).get());
                stats.add(statFutures.get(i).get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<DecodeStats> checkAgainstAlone(List<Request> requests, BatchSettings settings, long seed) throws Exception {
        List<DecodeStats> stats = new ArrayList<>();
        try (BatchScheduler scheduler = new BatchScheduler(target, settings)) {
            List<List<Integer>> batched = concurrently(scheduler, requests, seed, stats);
            for (int i = 0; i < requests.size(); i++) {
                Request q = requests.get(i);
                assertThat(batched.get(i)).as("request %d (%s, prompt %d tokens, max %d, leaves after %d)", i,
                        q.settings == null ? "plain" : q.drafter.describe() + " " + q.settings, q.prompt.length, q.maxTokens, q.leaveAfter)
                        .isEqualTo(alone(q));
                if (q.sampling.isGreedy() && q.settings != null) {
                    assertThat(batched.get(i)).isEqualTo(alone(new Request(q.prompt, q.maxTokens, q.sampling, null, null, q.leaveAfter)));
                }
            }
            assertThat(scheduler.stats().running()).isZero();
            assertThat(scheduler.stats().kvUsedBytes()).isZero();
        }
        return stats;
    }

    @Test
    void greedySpeculationInTheBatchEqualsEachRequestAloneWhateverTheLoadLetsItDraft() throws Exception {
        long drafted = 0;
        int round = 0;
        for (int draftRows : new int[] {0, 3, 16, 64}) {
            List<Request> requests = requests(300 + round, 20, false);
            List<DecodeStats> stats = checkAgainstAlone(requests, new BatchSettings(6, 9, Long.MAX_VALUE, draftRows), 17 + round);
            long roundDrafted = stats.stream().mapToLong(DecodeStats::drafted).sum();
            if (draftRows == 0) assertThat(roundDrafted).isZero(); // greedy sequences decode plainly when no draft rows are allowed
            drafted += roundDrafted;
            round++;
        }
        assertThat(drafted).isPositive();
    }

    @Test
    void seededSpeculativeSamplingInTheBatchReproducesEachRequestAlone() throws Exception {
        for (int round = 0; round < 2; round++) {
            List<DecodeStats> stats = checkAgainstAlone(requests(400 + round, 16, true), new BatchSettings(8, 16, Long.MAX_VALUE, 0), 23 + round);
            assertThat(stats.stream().mapToLong(DecodeStats::drafted).sum()).isPositive(); // draft rows cap greedy drafts only
        }
    }

    @Test
    void draftsAreVerifiedInTheSamePassAsOtherSequencesRows() throws Exception {
        AtomicInteger mixed = new AtomicInteger();
        // No pass runs until both sequences are queued: otherwise, on a busy machine, the plain sequence can finish
        // all its tokens before the speculative one is submitted, and no pass would ever mix the two.
        CountDownLatch bothSubmitted = new CountDownLatch(1);
        CausalLanguageModel recording = new WrappedPassModel(target, inner -> (sessions, tokens, logitRows) -> {
            Latches.awaitUninterruptibly(bothSubmitted);
            boolean plainRow = false;
            boolean draftRows = false;
            for (int i = 0; i < sessions.size(); i++) {
                if (logitRows[i] == 1 && tokens.get(i).length == 1) plainRow = true;
                if (logitRows[i] > 1) draftRows = true;
            }
            if (plainRow && draftRows) mixed.incrementAndGet();
            return inner.forward(sessions, tokens, logitRows);
        });
        SpeculativeSettings settings = new SpeculativeSettings(4, 4, 4, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false);
        try (BatchScheduler scheduler = new BatchScheduler(recording, new BatchSettings(4, 8, Long.MAX_VALUE, 16))) {
            BatchSequence plain = scheduler.submit(new int[] {1, 2}, 30, SamplingConfig.greedy(), -1, () -> false);
            BatchSequence spec = scheduler.submitSpeculative(new int[] {3, 4}, 30, settings, new AutoregressiveDrafter(small), -1, () -> false);
            bothSubmitted.countDown();
            while (plain.next() >= 0) Thread.onSpinWait();
            while (spec.next() >= 0) Thread.onSpinWait();
            assertThat(spec.rounds()).isPositive();
            assertThat(spec.drafted()).isPositive();
        }
        assertThat(mixed.get()).isPositive();
    }

    @Test
    void treesOverlapAndForeignVocabulariesAreRefusedWithAReason() {
        try (BatchScheduler scheduler = new BatchScheduler(target, new BatchSettings(2, 4, Long.MAX_VALUE))) {
            Drafter ar = new AutoregressiveDrafter(small);
            SpeculativeSettings tree = new SpeculativeSettings(3, 3, 3, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false, 8);
            SpeculativeSettings overlap = new SpeculativeSettings(3, 3, 3, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), true);
            assertThatThrownBy(() -> scheduler.submitSpeculative(new int[] {1}, 4, tree, ar, -1, () -> false)).hasMessageContaining("token trees");
            assertThatThrownBy(() -> scheduler.submitSpeculative(new int[] {1}, 4, overlap, ar, -1, () -> false)).hasMessageContaining("overlap");
            assertThat(BatchScheduler.supportsSpeculation(tree, ar)).isFalse();
        }
        assertThatThrownBy(() -> new BatchSettings(2, 4, 1, -1)).hasMessageContaining("drafted rows");
    }

    @Test
    void theDraftersCacheCountsInTheKvBudget() throws Exception {
        Drafter ar = new AutoregressiveDrafter(small);
        // gpt2-tiny-drafter: 1 layer, 32 wide, context 64: keys and values of 64 positions, float32
        assertThat(ar.sessionBytes()).isEqualTo(2L * 1 * 32 * 64 * Float.BYTES);
        assertThat(new DiffusionDrafter(diffusion, 300, 2, new DraftingConfig(24, false, true)).sessionBytes()).isZero();
        SpeculativeSettings settings = new SpeculativeSettings(3, 3, 3, AcceptancePolicy.GREEDY, SamplingConfig.greedy(), false);
        int[] prompt = {3, 5, 7};
        long targetBytes = (prompt.length + 20) * target.kvBytesPerPosition();
        try (BatchScheduler scheduler = new BatchScheduler(target, new BatchSettings(2, 8, targetBytes + ar.sessionBytes() - 1))) {
            assertThatThrownBy(() -> scheduler.submitSpeculative(prompt, 20, settings, ar, -1, () -> false))
                    .isInstanceOf(KvBudgetException.class).hasMessageContaining("of it the drafter's");
            BatchSequence plain = scheduler.submit(prompt, 20, SamplingConfig.greedy(), -1, () -> false);
            while (plain.next() >= 0) {
                // the target's cache alone fits
            }
        }
        Request request = new Request(prompt, 20, SamplingConfig.greedy(), settings, ar, Integer.MAX_VALUE);
        try (BatchScheduler scheduler = new BatchScheduler(target, new BatchSettings(2, 8, targetBytes + ar.sessionBytes()))) {
            BatchSequence s = scheduler.submitSpeculative(prompt, 20, settings, ar, -1, () -> false);
            List<Integer> out = new ArrayList<>();
            int t;
            while ((t = s.next()) >= 0) out.add(t);
            assertThat(out).isEqualTo(alone(request));
        }
    }
}
