package dev.specdiff4j.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded number of running generations and a bounded queue in front of them. A request that finds the
 * queue full is refused at once (429); one that waits longer than the queue wait is refused (503). Nothing
 * piles up without bound.
 */
final class Admission {
    private final Semaphore slots;
    private final int maxQueued;
    private final Duration wait;
    private final AtomicInteger queued = new AtomicInteger();

    Admission(int maxConcurrent, int maxQueued, Duration wait) {
        this.slots = new Semaphore(maxConcurrent, true);
        this.maxQueued = maxQueued;
        this.wait = wait;
    }

    /** A slot, or an ApiError. The slot must be released exactly once. */
    AutoCloseable enter() throws InterruptedException {
        if (slots.tryAcquire()) return slots::release;
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            throw new ApiError(429, "rate_limit_exceeded", null, "queue_full",
                    "the server is busy: all generation slots are taken and the queue is full; retry later");
        }
        try {
            if (!slots.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ApiError(503, "server_busy", null, "queue_timeout",
                        "the request waited " + wait.toSeconds() + " s for a generation slot; retry later");
            }
        } finally {
            queued.decrementAndGet();
        }
        return slots::release;
    }

    int queued() {
        return queued.get();
    }

    int running(int maxConcurrent) {
        return maxConcurrent - slots.availablePermits();
    }
}
