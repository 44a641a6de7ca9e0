package dev.specdiff4j.engine.api;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The generations running on a {@link Generator}, so that closing it stops them and releases the models
 * only once none uses them any more.
 */
final class Generations {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final ThreadLocal<Integer> onThisThread = ThreadLocal.withInitial(() -> 0);
    private final Runnable release;
    private volatile boolean closed;
    private int running;
    private boolean releasePending;

    /** @param release frees the models; runs once, after close and after the last running generation */
    Generations(Runnable release) {
        this.release = release;
    }

    /** Registers a generation on the calling thread; refused once closed. */
    void enter() {
        lock.lock();
        try {
            if (closed) throw new GeneratorClosedException("the generator is closed");
            running++;
            onThisThread.set(onThisThread.get() + 1);
        } finally {
            lock.unlock();
        }
    }

    void exit() {
        boolean releaseNow;
        lock.lock();
        try {
            running--;
            onThisThread.set(onThisThread.get() - 1);
            idle.signalAll(); // a close() from a listener waits for the others only, not for running == 0
            releaseNow = running == 0 && releasePending;
            if (releaseNow) releasePending = false;
        } finally {
            lock.unlock();
        }
        if (releaseNow) release.run();
    }

    boolean closed() {
        return closed;
    }

    /**
     * Marks the generator closed, waits for the generations of other threads to stop, then releases the
     * models; when called from inside a generation (a listener), the release waits for that generation to
     * return. Returns false, doing nothing, when already closed.
     */
    boolean close() {
        boolean releaseNow;
        lock.lock();
        try {
            if (closed) return false;
            closed = true;
            int own = onThisThread.get();
            while (running > own) idle.awaitUninterruptibly();
            releaseNow = running == 0;
            releasePending = !releaseNow;
        } finally {
            lock.unlock();
        }
        if (releaseNow) release.run();
        return true;
    }
}
