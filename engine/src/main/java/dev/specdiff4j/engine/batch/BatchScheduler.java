package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Continuous batching for plain autoregressive decoding: one thread runs one pass per step over the rows of every active
 * sequence (each with its own KV cache, position and sampler). New requests join and finished or cancelled ones leave
 * between steps; a prompt is prefilled in chunks that share the steps with the decoding sequences; KV memory is reserved
 * per sequence at admission against a budget. Since the model's passes are batch invariant, a request's tokens do not
 * depend on what else runs (greedy: the tokens of the request alone; sampling: its own seeded stream).
 *
 * <p>Callers {@link #submit} a request and read its tokens from the returned {@link BatchSequence} on their own thread.
 * {@link #close()} stops the loop after the current step, ends every sequence with {@code CANCELLED} and closes their
 * sessions; the model stays open (its owner closes it afterwards).
 */
public final class BatchScheduler implements AutoCloseable {
    private final CausalLanguageModel model;
    private final BatchSettings settings;
    private final long bytesPerPosition;
    private final CausalLanguageModel.BatchPass pass;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<BatchSequence> waiting = new ArrayDeque<>();
    private final List<BatchSequence> active = new ArrayList<>(); // only the loop thread touches it
    private final Thread loop;
    private volatile boolean closed;
    private long kvUsed;
    private volatile int lastRows;
    private volatile int lastSize;
    private volatile long steps;
    private volatile long generated;
    private volatile long busyNanos;

    public BatchScheduler(CausalLanguageModel model, BatchSettings settings) {
        this.model = model;
        this.settings = settings;
        this.bytesPerPosition = model.kvBytesPerPosition();
        this.pass = model.newBatchPass();
        this.loop = Thread.ofPlatform().daemon().name("specdiff4j-batch").start(this::run);
    }

    public BatchSettings settings() {
        return settings;
    }

    /**
     * Queues a request: up to {@code maxTokens} tokens after {@code prompt}, stopping at {@code eosId} (not passed on), when
     * the context is full or when {@code stop} says so (asked before each token, on the scheduler's thread).
     *
     * @throws KvBudgetException     if the request's KV cache exceeds the whole budget
     * @throws IllegalStateException if the scheduler is closed
     */
    public BatchSequence submit(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, BooleanSupplier stop) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must not be negative, got " + maxTokens);
        if (prompt.length > model.contextLength()) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens does not fit the context of " + model.contextLength());
        }
        int positions = (int) Math.min(model.contextLength(), (long) prompt.length + maxTokens);
        long bytes = positions * bytesPerPosition;
        if (bytes > settings.kvBudgetBytes()) {
            throw new KvBudgetException(String.format("this request needs %.1f MiB of KV cache (%d positions) but the batch "
                    + "scheduler's whole KV budget is %.1f MiB; ask for fewer tokens or give the server more memory",
                    bytes / 1048576.0, positions, settings.kvBudgetBytes() / 1048576.0));
        }
        BatchSequence s = new BatchSequence(prompt.clone(), maxTokens, sampling, eosId, stop, positions, bytes);
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the batch scheduler is closed");
            waiting.add(s);
            work.signal();
        } finally {
            lock.unlock();
        }
        return s;
    }

    boolean isClosed() {
        return closed;
    }

    public BatchStats stats() {
        lock.lock();
        try {
            return new BatchStats(runningCount, waiting.size(), lastRows, lastSize, kvUsed, settings.kvBudgetBytes(), steps, generated, busyNanos);
        } finally {
            lock.unlock();
        }
    }

    private int runningCount; // guarded by lock, mirrors active.size()

    private void run() {
        try {
            while (admit()) {
                long start = System.nanoTime();
                try {
                    step();
                } catch (RuntimeException | OutOfMemoryError e) {
                    // the pass's caches are in an unknown state: its sequences fail, the queued ones go on
                    failActive(e);
                }
                busyNanos += System.nanoTime() - start;
            }
        } catch (Throwable t) {
            failActive(t);
            lock.lock();
            try {
                closed = true;
            } finally {
                lock.unlock();
            }
            drainWaiting(s -> s.fail(t));
            return;
        }
        endAll(FinishReason.CANCELLED);
    }

    /** Moves waiting requests into the batch while slots and KV memory allow (first come, first served); false once closed. */
    private boolean admit() throws InterruptedException {
        dropCancelledWhileQueued();
        lock.lock();
        try {
            while (true) {
                if (closed) return false;
                while (!waiting.isEmpty() && active.size() < settings.maxSequences()
                        && kvUsed + waiting.peek().reservedBytes <= settings.kvBudgetBytes()) {
                    BatchSequence s = waiting.poll();
                    kvUsed += s.reservedBytes;
                    active.add(s);
                }
                runningCount = active.size();
                if (!active.isEmpty()) return true;
                work.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends the queued requests whose caller stopped them (never admitted: nothing to free). Stop checks run outside the lock. */
    private void dropCancelledWhileQueued() {
        List<BatchSequence> queued;
        lock.lock();
        try {
            queued = new ArrayList<>(waiting);
        } finally {
            lock.unlock();
        }
        for (BatchSequence s : queued) {
            if (!s.stopRequested() && !s.abandoned()) continue;
            boolean removed;
            lock.lock();
            try {
                removed = waiting.remove(s);
            } finally {
                lock.unlock();
            }
            if (removed) s.end(FinishReason.CANCELLED);
        }
    }

    /** One pass: every decoding sequence's last token, then prompt chunks in the rows left; sampling and delivery after it. */
    private void step() {
        List<BatchSequence> members = new ArrayList<>();
        List<CausalLanguageModel.Session> sessions = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        int rowsLeft = settings.stepTokens();
        for (Iterator<BatchSequence> it = active.iterator(); it.hasNext(); ) {
            BatchSequence s = it.next();
            if (s.stopRequested() || s.abandoned()) {
                it.remove();
                leave(s, FinishReason.CANCELLED);
            }
        }
        for (BatchSequence s : active) {
            if (s.prefilling()) continue;
            members.add(s);
            tokens.add(new int[] {s.pending});
            rowsLeft--;
        }
        for (BatchSequence s : active) {
            if (!s.prefilling() || rowsLeft == 0) continue;
            if (s.session == null) s.session = model.newSession(s.positions);
            int chunk = Math.min(rowsLeft, s.prompt.length - s.prefilled);
            members.add(s);
            tokens.add(java.util.Arrays.copyOfRange(s.prompt, s.prefilled, s.prefilled + chunk));
            rowsLeft -= chunk;
        }
        if (members.isEmpty()) return;
        int[] logitRows = new int[members.size()];
        for (int i = 0; i < members.size(); i++) {
            BatchSequence s = members.get(i);
            sessions.add(s.session);
            boolean promptEnds = !s.prefilling() || s.prefilled + tokens.get(i).length == s.prompt.length;
            logitRows[i] = promptEnds ? 1 : 0;
        }
        float[][][] logits = pass.forward(sessions, tokens, logitRows);
        lastRows = settings.stepTokens() - rowsLeft;
        lastSize = members.size();
        steps++;
        for (int i = 0; i < members.size(); i++) {
            BatchSequence s = members.get(i);
            if (s.prefilling()) {
                s.prefilled += tokens.get(i).length;
                if (s.prefilling()) continue;
                s.prefillDone();
            }
            FinishReason end = advance(s, logits[i][0]);
            if (end != null) {
                active.remove(s);
                leave(s, end);
            }
        }
    }

    /** Samples a sequence's next token and hands it over; the reason it ends, or null when it goes on. */
    private FinishReason advance(BatchSequence s, float[] logits) {
        if (s.generated >= s.maxTokens) return FinishReason.LENGTH;
        if (s.stopRequested()) return FinishReason.CANCELLED;
        int next = s.sampler.next(logits, model.vocabSize());
        if (next == s.eosId) return FinishReason.EOS;
        s.generated++;
        generated++;
        s.deliver(next);
        if (s.generated == s.maxTokens) return FinishReason.LENGTH;
        if (s.session.length() >= s.session.contextLength()) return FinishReason.CONTEXT;
        s.pending = next;
        return null;
    }

    private void leave(BatchSequence s, FinishReason reason) {
        if (s.session != null) s.session.close();
        lock.lock();
        try {
            kvUsed -= s.reservedBytes;
            runningCount = active.size();
        } finally {
            lock.unlock();
        }
        s.end(reason);
    }

    private void endAll(FinishReason reason) {
        for (BatchSequence s : active) leave(s, reason);
        active.clear();
        drainWaiting(s -> s.end(reason));
    }

    private void failActive(Throwable t) {
        for (BatchSequence s : active) {
            if (s.session != null) s.session.close();
            lock.lock();
            try {
                kvUsed -= s.reservedBytes;
            } finally {
                lock.unlock();
            }
            s.fail(t);
        }
        active.clear();
        lock.lock();
        try {
            runningCount = 0;
        } finally {
            lock.unlock();
        }
    }

    private void drainWaiting(java.util.function.Consumer<BatchSequence> ending) {
        List<BatchSequence> left;
        lock.lock();
        try {
            left = new ArrayList<>(waiting);
            waiting.clear();
            runningCount = 0;
        } finally {
            lock.unlock();
        }
        left.forEach(ending);
    }

    /** Stops after the current step, ends every sequence with {@code CANCELLED}, waits for the loop to finish. */
    @Override
    public void close() {
        closed = true; // seen by the loop even while a stop check holds the lock
        lock.lock();
        try {
            work.signal();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (loop.isAlive() && loop != Thread.currentThread()) {
            try {
                loop.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
