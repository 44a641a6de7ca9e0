package dev.specdiff4j.engine.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of worker threads for data-parallel loops, created once and reused by every call (a
 * decode step runs dozens of parallel loops of tens of microseconds each; creating threads or going
 * through a general-purpose executor per loop would cost as much as the work). The calling thread takes
 * part in the work. Workers spin briefly for the next loop, then park.
 *
 * <p>Calls from several threads are serialised: one parallel loop runs at a time on a pool. Closing the
 * pool lets a loop that is running finish (its caller completes the chunks that no worker took); later
 * calls throw {@link IllegalStateException}.
 */
final class WorkerPool implements AutoCloseable {
    /** Work on the chunk [start, end). */
    @FunctionalInterface
    interface RangeTask {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = 50_000;

    private final Thread[] workers;
    private final ReentrantLock callLock = new ReentrantLock();
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private RangeTask task;
    private int total;
    private int grain;
    private int chunks;
    private volatile Throwable failure;

    WorkerPool(int threads, String name) {
        if (threads < 1) throw new IllegalArgumentException("a worker pool needs at least one thread, got " + threads);
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).start(this::workerLoop);
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code task} over [0, n) in chunks of {@code grain}, on all threads, and returns when all are done. */
    void parallelFor(int n, int grain, RangeTask task) {
        if (n <= 0) return;
        int chunkCount = (n + grain - 1) / grain;
        if (chunkCount == 1 || workers.length == 0) {
            task.run(0, n);
            return;
        }
        callLock.lock();
        try {
            if (closed) throw new IllegalStateException("the kernels were closed");
            this.task = task;
            this.total = n;
            this.grain = grain;
            this.chunks = chunkCount;
            this.failure = null;
            this.caller = Thread.currentThread();
            nextChunk.set(0);
            running.set(workers.length);
            generation++; // publishes the fields above
            for (Thread w : workers) LockSupport.unpark(w);
            runChunks();
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (running.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else if (closed) {
                    // a worker that saw the close before this loop exits without counting down; once all have
                    // exited, every chunk is done (this thread took whatever they did not)
                    joinWorkers();
                    break;
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
            this.task = null;
            Throwable t = failure;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            callLock.unlock();
        }
    }

    private void runChunks() {
        RangeTask t = task;
        int c;
        while ((c = nextChunk.getAndIncrement()) < chunks) {
            int start = c * grain;
            int end = Math.min(total, start + grain);
            try {
                t.run(start, end);
            } catch (Throwable e) {
                if (failure == null) failure = e;
                nextChunk.set(chunks); // stop handing out work
            }
        }
    }

    private void workerLoop() {
        long seen = 0;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            runChunks();
            if (running.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    private void joinWorkers() {
        boolean interrupted = false;
        for (Thread w : workers) {
            while (w.isAlive()) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
        Thread waiting = caller;
        if (waiting != null) LockSupport.unpark(waiting);
    }
}
