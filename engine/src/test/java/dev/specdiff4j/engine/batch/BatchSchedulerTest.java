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
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Continuous batching keeps every request's output what it is alone: many threads submit requests at random moments
 * (prompts longer than a step, so prefill is chunked and interleaved), some leave after a random number of tokens, and each
 * one's tokens equal those of {@link AutoregressiveDecoder} on the same model, greedy and seeded sampling alike. KV memory is
 * never reserved beyond the budget, and requests that can never fit are refused with a message.
 */
class BatchSchedulerTest {
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

    private record Request(int[] prompt, int maxTokens, SamplingConfig sampling, int leaveAfter) {
    }

    private static List<Integer> alone(Request r) {
        List<Integer> out = new ArrayList<>();
        new AutoregressiveDecoder(model).decode(r.prompt, r.maxTokens, r.sampling, -1, t -> {
            out.add(t[0]);
            return out.size() < r.leaveAfter;
        }, () -> false);
        return out;
    }

    private static List<Request> requests(long seed, int count, boolean sampled) {
        Random r = new Random(seed);
        List<Request> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + r.nextInt(30)];
            for (int j = 0; j < prompt.length; j++) prompt[j] = r.nextInt(model.vocabSize());
            int maxTokens = r.nextInt(64 - prompt.length + 4); // some run into the context limit
            SamplingConfig sampling = sampled ? SamplingConfig.sampling(0.8 + 0.1 * r.nextInt(4), r.nextLong()) : SamplingConfig.greedy();
            int leaveAfter = r.nextInt(3) == 0 ? 1 + r.nextInt(10) : Integer.MAX_VALUE;
            list.add(new Request(prompt, maxTokens, sampling, leaveAfter));
        }
        return list;
    }

    /** Runs the requests on many threads that start at random moments; returns each one's tokens. */
    private static List<List<Integer>> concurrently(BatchScheduler scheduler, List<Request> requests, long seed) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(requests.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<Integer>>> futures = new ArrayList<>();
            Random r = new Random(seed);
            for (Request q : requests) {
                int delayMillis = r.nextInt(40);
                futures.add(pool.submit(() -> {
                    go.await();
                    Thread.sleep(delayMillis); // joins the batch at some step
                    List<Integer> out = new ArrayList<>();
                    DecodeStats stats = new BatchedDecoder(scheduler).decode(q.prompt, q.maxTokens, q.sampling, -1, t -> {
                        out.add(t[0]);
                        return out.size() < q.leaveAfter;
                    }, () -> false);
                    assertThat(stats.generatedTokens()).isEqualTo(out.size());
                    return out;
                }));
            }
            go.countDown();
            List<List<Integer>> results = new ArrayList<>();
            for (Future<List<Integer>> f : futures) results.add(f.get());
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void checkAgainstAlone(List<Request> requests, BatchSettings settings, long seed) throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, settings)) {
            List<List<Integer>> batched = concurrently(scheduler, requests, seed);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(batched.get(i)).as("request %d (prompt %d tokens, max %d, leaves after %d)", i, requests.get(i).prompt.length,
                        requests.get(i).maxTokens, requests.get(i).leaveAfter).isEqualTo(alone(requests.get(i)));
            }
            BatchStats stats = scheduler.stats();
            assertThat(stats.running()).isZero();
            assertThat(stats.kvUsedBytes()).isZero();
            assertThat(stats.steps()).isPositive();
        }
    }

    @Test
    void greedyOutputUnderConcurrentLoadEqualsEachRequestAlone() throws Exception {
        for (int round = 0; round < 3; round++) {
            checkAgainstAlone(requests(100 + round, 24, false), new BatchSettings(6, 9, Long.MAX_VALUE), 7 + round);
        }
    }

    @Test
    void seededSamplingUnderConcurrentLoadReproducesEachRequestAlone() throws Exception {
        for (int round = 0; round < 2; round++) {
            checkAgainstAlone(requests(200 + round, 20, true), new BatchSettings(8, 16, Long.MAX_VALUE), 11 + round);
        }
    }

    @Test
    void requestsThatArriveTogetherShareOnePass() throws Exception {
        AtomicInteger widest = new AtomicInteger();
        CausalLanguageModel recording = new WrappedPassModel(model, inner -> (sessions, tokens, logitRows) -> {
            widest.accumulateAndGet(sessions.size(), Math::max);
            return inner.forward(sessions, tokens, logitRows);
        });
        CountDownLatch allSubmitted = new CountDownLatch(4);
        BooleanSupplier holdUntilAllSubmitted = () -> { // the scheduler's stop check waits until all four are queued
            try {
                allSubmitted.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        };
        try (BatchScheduler scheduler = new BatchScheduler(recording, new BatchSettings(4, 8, Long.MAX_VALUE))) {
            List<BatchSequence> sequences = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sequences.add(scheduler.submit(new int[] {i + 1, i + 2}, 10, SamplingConfig.greedy(), -1, holdUntilAllSubmitted));
                allSubmitted.countDown();
            }
            for (BatchSequence s : sequences) {
                int count = 0;
                while (s.next() >= 0) count++;
                assertThat(count).isEqualTo(10);
                assertThat(s.finishReason()).isEqualTo(FinishReason.LENGTH);
            }
        }
        assertThat(widest.get()).isEqualTo(4);
    }

    @Test
    void kvMemoryStaysWithinTheBudgetAndOversizedRequestsAreRefused() throws Exception {
        long perPosition = model.kvBytesPerPosition();
        assertThat(perPosition).isEqualTo(2L * 2 * 64 * Float.BYTES); // 2 layers x 64 wide, keys and values
        long budget = 50 * perPosition; // room for one 40-position request at a time
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) requests.add(new Request(new int[] {3 + i, 5, 7}, 37, SamplingConfig.greedy(), Integer.MAX_VALUE));
        try (BatchScheduler scheduler = new BatchScheduler(model, new BatchSettings(4, 8, budget))) {
            AtomicLong mostUsed = new AtomicLong();
            AtomicInteger mostRunning = new AtomicInteger();
            Thread watcher = Thread.ofPlatform().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    BatchStats s = scheduler.stats();
                    mostUsed.accumulateAndGet(s.kvUsedBytes(), Math::max);
                    mostRunning.accumulateAndGet(s.running(), Math::max);
                    Thread.onSpinWait();
                }
            });
            List<List<Integer>> batched = concurrently(scheduler, requests, 3);
            watcher.interrupt();
            watcher.join();
            for (int i = 0; i < requests.size(); i++) assertThat(batched.get(i)).isEqualTo(alone(requests.get(i)));
            assertThat(mostUsed.get()).isEqualTo(40 * perPosition);
            assertThat(mostRunning.get()).isEqualTo(1);
            assertThatThrownBy(() -> scheduler.submit(new int[] {1, 2}, 60, SamplingConfig.greedy(), -1, () -> false))
                    .isInstanceOf(KvBudgetException.class).hasMessageContaining("62 positions").hasMessageContaining("KV budget");
        }
    }

    @Test
    void stopRequestsAndCloseEndSequencesAsCancelled() throws Exception {
        BatchScheduler scheduler = new BatchScheduler(model, new BatchSettings(2, 4, Long.MAX_VALUE));
        AtomicBoolean cancel = new AtomicBoolean();
        List<Integer> out = new ArrayList<>();
        DecodeStats stats = new BatchedDecoder(scheduler).decode(new int[] {1, 2, 3}, 50, SamplingConfig.greedy(), -1, t -> {
            out.add(t[0]);
            if (out.size() == 5) cancel.set(true);
            return true;
        }, cancel::get);
        assertThat(stats.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(out).hasSize(5);

        // the scheduler's stop check (on its own thread; the reader asks it too) holds a step until close() has been called:
        // the sequence is mid-run when the scheduler closes
        AtomicInteger received = new AtomicInteger();
        AtomicInteger checks = new AtomicInteger();
        CountDownLatch holding = new CountDownLatch(1);
        BooleanSupplier holdUntilClosed = () -> {
            if (Thread.currentThread().getName().equals("specdiff4j-batch") && checks.incrementAndGet() >= 5) {
                holding.countDown();
                while (!scheduler.isClosed()) Thread.onSpinWait();
            }
            return false;
        };
        Future<DecodeStats> running = Executors.newVirtualThreadPerTaskExecutor().submit(() ->
                new BatchedDecoder(scheduler).decode(new int[] {4}, 60, SamplingConfig.greedy(), -1, t -> {
                    received.incrementAndGet();
                    return true;
                }, holdUntilClosed));
        holding.await();
        scheduler.close();
        assertThat(running.get().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(received.get()).isLessThan(60);
        assertThatThrownBy(() -> scheduler.submit(new int[] {1}, 1, SamplingConfig.greedy(), -1, () -> false))
                .hasMessageContaining("closed");
        assertThat(scheduler.stats().running()).isZero();
    }

    @Test
    void aFailedPassFailsItsSequencesWithTheCauseAndTheSchedulerGoesOn() throws Exception {
        // the pass fails on prompts that start with token 7
        CausalLanguageModel poisoned = new WrappedPassModel(model, inner -> (sessions, tokens, logitRows) -> {
            for (int i = 0; i < tokens.size(); i++) {
                if (sessions.get(i).length() == 0 && tokens.get(i)[0] == 7) throw new IllegalStateException("poisoned token");
            }
            return inner.forward(sessions, tokens, logitRows);
        });
        try (BatchScheduler scheduler = new BatchScheduler(poisoned, new BatchSettings(2, 4, Long.MAX_VALUE))) {
            BatchedDecoder decoder = new BatchedDecoder(scheduler);
            assertThatThrownBy(() -> decoder.decode(new int[] {7, 1}, 5, SamplingConfig.greedy(), -1, t -> true, () -> false))
                    .hasMessageContaining("batched pass failed").hasMessageContaining("poisoned token");
            Request clean = new Request(new int[] {1, 2, 3}, 20, SamplingConfig.greedy(), Integer.MAX_VALUE);
            List<Integer> out = new ArrayList<>();
            decoder.decode(clean.prompt, clean.maxTokens, clean.sampling, -1, t -> out.add(t[0]), () -> false);
            assertThat(out).isEqualTo(alone(clean));
            assertThat(scheduler.stats().kvUsedBytes()).isZero();
        }
    }
}
