package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.AutoregressiveDecoder;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The scheduler's KV page pool: a sequence takes pages as it grows and gives every one back however it ends (finished,
 * cancelled by its stop check, abandoned by its reader, failed pass, scheduler closed); a reused page never leaks its earlier
 * sequence's rows into a new sequence's tokens; requests beyond the free budget wait and then run as they do alone.
 */
class BatchKvPoolTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    private static Gpt2 model;

    @BeforeAll
    static void load() throws IOException {
        model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, KERNELS));
    }

    @AfterAll
    static void close() {
        model.close();
        KERNELS.close();
    }

    private static List<Integer> alone(int[] prompt, int maxTokens) {
        List<Integer> out = new ArrayList<>();
        new AutoregressiveDecoder(model).decode(prompt, maxTokens, SamplingConfig.greedy(), -1, t -> out.add(t[0]), () -> false);
        return out;
    }

    private static List<Integer> run(BatchScheduler scheduler, int[] prompt, int maxTokens, BooleanSupplier stop) throws InterruptedException {
        return drain(scheduler.submit(prompt, maxTokens, SamplingConfig.greedy(), -1, stop));
    }

    private static List<Integer> drain(BatchSequence s) throws InterruptedException {
        List<Integer> out = new ArrayList<>();
        int t;
        while ((t = s.next()) >= 0) out.add(t);
        return out;
    }

    @Test
    void pagesAreTakenAsTheSequenceGrowsAndAllGivenBackWhenItFinishes() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, new BatchSettings(4, 8, Long.MAX_VALUE))) {
            List<Integer> seen = new CopyOnWriteArrayList<>();
            BooleanSupplier watch = () -> {
                if (Thread.currentThread().getName().equals("specdiff4j-batch")) seen.add(scheduler.stats().kvPagesUsed());
                return false;
            };
            assertThat(run(scheduler, new int[] {3, 5, 7}, 40, watch)).isEqualTo(alone(new int[] {3, 5, 7}, 40));
            // the cache grows to 3 + 40 − 1 = 42 positions: pages of 16 taken one by one, 1, 2, then 3
            assertThat(seen).isSorted().contains(1, 2, 3).allMatch(n -> n <= 3);
            BatchStats stats = scheduler.stats();
            assertThat(stats.kvPagesUsed()).isZero();
            assertThat(stats.kvPagesAllocated()).isEqualTo(3);
            assertThat(stats.kvPageBytes()).isEqualTo(BatchScheduler.KV_PAGE_ROWS * model.kvBytesPerPosition());
        }
    }

    @Test
    void pagesComeBackAfterCancelAbandonFailureAndClose() throws Exception {
        // the pass fails, after it has run (and taken pages), when it started a prompt with token 7
        CausalLanguageModel poisoned = new WrappedPassModel(model, inner -> (sessions, tokens, logitRows) -> {
            boolean poison = false;
            for (int i = 0; i < tokens.size(); i++) poison |= sessions.get(i).length() == 0 && tokens.get(i)[0] == 7;
            float[][][] rows = inner.forward(sessions, tokens, logitRows);
            if (poison) throw new IllegalStateException("poisoned token");
            return rows;
        });
        BatchScheduler scheduler = new BatchScheduler(poisoned, new BatchSettings(4, 8, Long.MAX_VALUE));
        AtomicInteger steps = new AtomicInteger();
        BatchSequence cancelled = scheduler.submit(new int[] {1, 2, 3}, 50, SamplingConfig.greedy(), -1,
                () -> Thread.currentThread().getName().equals("specdiff4j-batch") && steps.incrementAndGet() > 25);
        while (cancelled.next() >= 0) {
            // drain
        }
        assertThat(cancelled.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(scheduler.stats().kvPagesUsed()).isZero();

        List<Integer> kept = new ArrayList<>();
        DecodeStats abandoned = new BatchedDecoder(scheduler).decode(new int[] {4, 5}, 50, SamplingConfig.greedy(), -1,
                t -> kept.add(t[0]) && kept.size() < 20, () -> false);
        assertThat(abandoned.finishReason()).isEqualTo(FinishReason.STOP);
        waitForNoRunning(scheduler); // the reader left; the scheduler lets the sequence go at its next step
        assertThat(scheduler.stats().kvPagesUsed()).isZero();

        int[] poisonedPrompt = new int[20];
        poisonedPrompt[0] = 7;
        BatchSequence failed = scheduler.submit(poisonedPrompt, 5, SamplingConfig.greedy(), -1, () -> false);
        assertThatThrownBy(() -> {
            while (failed.next() >= 0) {
                // drain
            }
        }).hasMessageContaining("poisoned token");
        assertThat(scheduler.stats().kvPagesUsed()).isZero();

        CountDownLatch running = new CountDownLatch(1);
        ExecutorService reader = Executors.newVirtualThreadPerTaskExecutor();
        // once it holds pages, the sequence's stop check waits for close(): on a loaded machine the tiny model could
        // otherwise finish all 60 tokens before close() is called
        Future<List<Integer>> open = reader.submit(() -> run(scheduler, new int[] {9}, 60, () -> {
            if (scheduler.stats().kvPagesUsed() > 0) {
                running.countDown();
                while (!scheduler.isClosed()) Thread.onSpinWait();
            }
            return false;
        }));
        running.await();
        scheduler.close();
        assertThat(open.get()).hasSizeLessThan(60);
        assertThat(scheduler.stats().kvPagesUsed()).isZero();
        reader.shutdown();
    }

    private static void waitForNoRunning(BatchScheduler scheduler) throws InterruptedException {
        while (scheduler.stats().running() > 0) Thread.sleep(1);
    }

    @Test
    void aReusedPageNeverLeaksTheEarlierSequenceIntoTheNextOne() throws Exception {
        int[] first = new int[40];
        for (int i = 0; i < first.length; i++) first[i] = (i * 37 + 11) % model.vocabSize();
        try (BatchScheduler scheduler = new BatchScheduler(model, new BatchSettings(4, 64, Long.MAX_VALUE))) {
            assertThat(run(scheduler, first, 20, () -> false)).isEqualTo(alone(first, 20));
            int pages = scheduler.stats().kvPagesAllocated();
            assertThat(pages).isEqualTo(4); // 59 positions
            for (int[] prompt : new int[][] {{2}, {5, 8, 13, 21, 34}, {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 77, 10, 87, 97}}) {
                assertThat(run(scheduler, prompt, 30, () -> false)).as("prompt of %d", prompt.length).isEqualTo(alone(prompt, 30));
            }
            assertThat(scheduler.stats().kvPagesAllocated()).as("the later sequences ran on the first one's pages").isEqualTo(pages);
        }
    }

    @Test
    void requestsBeyondTheFreeBudgetWaitThenRunAsAlone() throws Exception {
        long perPosition = model.kvBytesPerPosition();
        try (BatchScheduler scheduler = new BatchScheduler(model, new BatchSettings(4, 8, 50 * perPosition))) {
            AtomicInteger mostQueued = new AtomicInteger();
            AtomicInteger mostPages = new AtomicInteger();
            CountDownLatch allSubmitted = new CountDownLatch(1);
            BooleanSupplier watch = () -> {
                Latches.awaitUninterruptibly(allSubmitted); // so a fast first request cannot finish before the others are queued
                BatchStats s = scheduler.stats();
                mostQueued.accumulateAndGet(s.queued(), Math::max);
                mostPages.accumulateAndGet(s.kvPagesUsed(), Math::max);
                assertThat(s.kvPagesUsed() + s.kvPagesFree()).isEqualTo(50 / 16 + 4);
                return false;
            };
            ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<List<Integer>>> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                BatchSequence s = scheduler.submit(new int[] {3 + i, 5, 7}, 37, SamplingConfig.greedy(), -1, watch);
                runs.add(readers.submit(() -> drain(s)));
            }
            allSubmitted.countDown();
            for (int i = 0; i < 3; i++) assertThat(runs.get(i).get()).isEqualTo(alone(new int[] {3 + i, 5, 7}, 37));
            readers.shutdown();
            assertThat(mostQueued.get()).isPositive(); // 40 positions each: one at a time in a budget of 50
            assertThat(mostPages.get()).isEqualTo(3);
            assertThat(scheduler.stats().kvPagesUsed()).isZero();
        }
    }
}
