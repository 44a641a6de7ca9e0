package dev.specdiff4j.server;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The completion requests being served, and the drain that lets them finish: once draining, new requests
 * are refused (503) while those already in go on until they finish or the caller stops them.
 */
final class InFlight {
    private final Set<RunningGeneration> running = new HashSet<>();
    private boolean draining;

    /** Registers a new request, or refuses it with a 503 when the server is draining. */
    synchronized RunningGeneration begin() {
        if (draining) throw shuttingDown();
        RunningGeneration generation = new RunningGeneration();
        running.add(generation);
        return generation;
    }

    synchronized void end(RunningGeneration generation) {
        running.remove(generation);
        if (running.isEmpty()) notifyAll();
    }

    synchronized void startDraining() {
        draining = true;
    }

    synchronized boolean draining() {
        return draining;
    }

    synchronized int size() {
        return running.size();
    }

    /** Waits until no request is in flight or the time is up; true when none is left. */
    synchronized boolean awaitIdle(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!running.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** Stops every generation still running (each answers its client with a shutdown notice). */
    void stopAll() {
        List<RunningGeneration> left;
        synchronized (this) {
            left = List.copyOf(running);
        }
        for (RunningGeneration g : left) g.stop(RunningGeneration.StopReason.SHUTDOWN);
    }

    static ApiError shuttingDown() {
        return new ApiError(503, "server_busy", null, "shutting_down", "the server is shutting down; retry on another instance or later");
    }
}
