package dev.specdiff4j.engine.kernels;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Closing a pool while loops run ends every caller, each loop either complete or refused. */
class WorkerPoolCloseTest {
    private static final int TRIALS = 300;
    private static final int CHUNKS = 64;

    @Test
    void closingWhileLoopsRunNeverHangsACaller() {
        for (int trial = 0; trial < TRIALS; trial++) {
            int loopsBeforeClose = trial % 20;
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> runTrial(loopsBeforeClose), "trial " + trial);
        }
    }

    private static void runTrial(int loopsBeforeClose) throws InterruptedException {
        WorkerPool pool = new WorkerPool(3, "close-test");
        CountDownLatch running = new CountDownLatch(1);
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        AtomicInteger completedLoops = new AtomicInteger();
        Runnable loops = () -> {
            try {
                for (int loop = 0; ; loop++) {
                    AtomicReferenceArray<Boolean> done = new AtomicReferenceArray<>(CHUNKS);
                    if (loop == loopsBeforeClose) running.countDown();
                    pool.parallelFor(CHUNKS, 1, (start, end) -> done.set(start, true));
                    for (int c = 0; c < CHUNKS; c++) {
                        if (done.get(c) == null) throw new AssertionError("loop " + loop + " returned with chunk " + c + " not done");
                    }
                    completedLoops.incrementAndGet();
                }
            } catch (IllegalStateException e) {
                if (!e.getMessage().equals("the kernels were closed")) unexpected.set(e);
            } catch (Throwable e) {
                unexpected.set(e);
            }
        };
        Thread first = Thread.ofPlatform().daemon().start(loops);
        Thread second = Thread.ofPlatform().daemon().start(loops);
        running.await();
        pool.close();
        first.join();
        second.join();
        assertThat(unexpected.get()).isNull();
        assertThat(completedLoops.get()).isGreaterThanOrEqualTo(loopsBeforeClose);
    }
}
