package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Cancellation;

import java.util.concurrent.atomic.AtomicReference;

/** One request's generation and, once it has been stopped early, why. The first reason given wins. */
final class RunningGeneration {
    enum StopReason { TIMEOUT, CLIENT_GONE, SHUTDOWN }

    private final Cancellation cancellation = new Cancellation();
    private final AtomicReference<StopReason> stoppedBy = new AtomicReference<>();

    void stop(StopReason reason) {
        stoppedBy.compareAndSet(null, reason);
        cancellation.cancel();
    }

    Cancellation cancellation() {
        return cancellation;
    }

    /** Why it was stopped early, or null if it was not. */
    StopReason stoppedBy() {
        return stoppedBy.get();
    }

    boolean stoppedBy(StopReason reason) {
        return stoppedBy.get() == reason;
    }
}
