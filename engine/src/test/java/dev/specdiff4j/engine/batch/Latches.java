package dev.specdiff4j.engine.batch;

import java.util.concurrent.CountDownLatch;

/** Latches for tests whose callbacks (stop checks, wrapped passes) cannot throw {@link InterruptedException}. */
final class Latches {
    private Latches() {
    }

    static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
