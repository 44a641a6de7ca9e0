package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.Drafter;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.decoding.SpeculativeRounds;
import dev.specdiff4j.engine.decoding.SpeculativeSettings;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.KvPagePool;
import dev.specdiff4j.engine.model.KvPages;

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
 * per sequence at admission against a budget.
 *
 * <p>The KV caches live in one {@link KvPagePool} of pages of {@link #KV_PAGE_ROWS} positions (models that page their cache,
 * {@link CausalLanguageModel#kvPageFloats}): a sequence takes pages as it grows and gives them all back when it leaves, for
 * whatever reason (finished, cancelled, failed, scheduler closed); pages are allocated on first demand and then reused.
 * Admission reserves a request's whole need (prompt + max tokens, at most the context) against the budget, so a sequence's
 * pages are always there when it grows: growth never waits, never fails, and never depends on the other sequences. Since the model's passes are batch invariant, a request's tokens do not
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
    private final KvPagePool pages;
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
        this.pages = new KvPagePool(KV_PAGE_ROWS, model.kvPageFloats(KV_PAGE_ROWS), pageCapacity(settings, bytesPerPosition));
        this.loop = Thread.ofPlatform().daemon().name("specdiff4j-batch").start(this::run);
    }

    /** Positions per KV page. */
    public static final int KV_PAGE_ROWS = 16;

    /**
     * Pages the reservations can ever need together: the budget in whole pages plus one partly filled page per sequence (a
     * reservation rounded up to pages).
     */
    private static int pageCapacity(BatchSettings settings, long bytesPerPosition) {
        if (bytesPerPosition == 0) return Integer.MAX_VALUE;
        long pages = settings.kvBudgetBytes() / (KV_PAGE_ROWS * bytesPerPosition) + settings.maxSequences();
        return (int) Math.min(Integer.MAX_VALUE, pages);
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
        return enqueue(prompt, maxTokens, sampling, eosId, stop, null, null);
    }

    /**
     * Queues a speculative request: each step the sequence drafts with its own session of {@code drafter} (on the scheduler's
     * thread) and its last token and draft go into the shared target pass as rows beside the other sequences'; acceptance
     * and the adaptive γ follow {@code settings} exactly as {@link dev.specdiff4j.engine.decoding.SpeculativeDecoder} does, so
     * the tokens are those of that decoder alone (greedy: those of plain greedy decoding). A greedy sequence's draft is
     * also shortened by the load ({@link BatchSettings#draftRows()}).
     *
     * @throws IllegalArgumentException for token trees, overlap, or a drafter that reads the target's hidden states (a
     *                                  batch pass keeps none): those run alone
     */
    public BatchSequence submitSpeculative(int[] prompt, int maxTokens, SpeculativeSettings settings, Drafter drafter, int eosId,
                                           BooleanSupplier stop) {
        if (!supportsSpeculation(settings, drafter)) {
            throw new IllegalArgumentException("a batch verifies linear drafts of a drafter that reads tokens only; token trees, "
                    + "overlap and drafters that read the target's hidden states (" + drafter.describe() + ") run alone");
        }
        return enqueue(prompt, maxTokens, settings.sampling(), eosId, stop, drafter, settings);
    }

    /** Whether {@link #submitSpeculative} takes these settings and drafter. */
    public static boolean supportsSpeculation(SpeculativeSettings settings, Drafter drafter) {
        return !settings.usesTree() && !settings.overlap() && drafter.targetFeatureLayers().length == 0;
    }

    private BatchSequence enqueue(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, BooleanSupplier stop,
                                  Drafter drafter, SpeculativeSettings speculative) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must not be negative, got " + maxTokens);
        if (prompt.length > model.contextLength()) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens does not fit the context of " + model.contextLength());
        }
        int positions = (int) Math.min(model.contextLength(), (long) prompt.length + maxTokens);
        long drafterBytes = drafter == null ? 0 : drafter.sessionBytes();
        long bytes = positions * bytesPerPosition + drafterBytes;
        if (bytes > settings.kvBudgetBytes()) {
            throw new KvBudgetException(String.format("this request needs %.1f MiB of KV cache (%d positions%s) but the batch "
                    + "scheduler's whole KV budget is %.1f MiB; ask for fewer tokens or give the server more memory",
                    bytes / 1048576.0, positions, drafterBytes == 0 ? "" : String.format(", %.1f MiB of it the drafter's",
                            drafterBytes / 1048576.0), settings.kvBudgetBytes() / 1048576.0));
        }
        BatchSequence s = new BatchSequence(prompt.clone(), maxTokens, sampling, eosId, stop, positions, bytes, drafter, speculative);
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
            long pageBytes = (long) pages.pageFloats() * Float.BYTES;
            int used = pages.inUse();
            return new BatchStats(runningCount, waiting.size(), lastRows, lastSize, kvUsed, settings.kvBudgetBytes(), pageBytes, used,
                    pages.capacity() - used, pages.allocated(), steps, generated, busyNanos);
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

    /**
     * One pass: every decoding sequence's rows (a plain one's last token; a speculating one's last token and its draft), then
     * prompt chunks in the rows left; acceptance, sampling and delivery after it.
     */
    private void step() {
        List<BatchSequence> members = new ArrayList<>();
        List<CausalLanguageModel.Session> sessions = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        List<Drafter.Proposal> proposals = new ArrayList<>();
        int rowsLeft = settings.stepTokens();
        for (Iterator<BatchSequence> it = active.iterator(); it.hasNext(); ) {
            BatchSequence s = it.next();
            if (s.stopRequested() || s.abandoned()) {
                it.remove();
                leave(s, FinishReason.CANCELLED);
            } else if (s.speculates() && !s.prefilling() && s.generated >= s.maxTokens) {
                it.remove();
                leave(s, FinishReason.LENGTH);
            } else if (s.speculates() && !s.prefilling() && s.committedLength - 1 >= model.contextLength()) {
                it.remove();
                leave(s, FinishReason.CONTEXT);
            }
        }
        for (BatchSequence s : active) {
            if (s.session != null) continue;
            s.pages = new KvPages(pages);
            s.session = model.newSession(s.positions, s.pages);
            if (s.speculates()) {
                s.drafts = s.drafter.open(s.speculative.sampling(), s.speculative.sampling().seed(), s.speculative.policy());
                s.rounds = new SpeculativeRounds(s.speculative, model.vocabSize());
            }
        }
        int greedyDrafting = 0;
        for (BatchSequence s : active) if (s.speculates() && !s.prefilling() && s.speculative.sampling().isGreedy()) greedyDrafting++;
        int greedyShare = settings.greedyDraftShare(greedyDrafting);
        for (BatchSequence s : active) {
            if (s.prefilling()) continue;
            members.add(s);
            if (!s.speculates()) {
                tokens.add(new int[] {s.pending});
                proposals.add(null);
                rowsLeft--;
                continue;
            }
            int wanted = s.speculative.sampling().isGreedy() ? Math.min(s.rounds.gamma(), greedyShare) : s.rounds.gamma();
            int g = Math.min(wanted, Math.min(model.contextLength() - s.committedLength, s.maxTokens - s.generated));
            long t0 = System.nanoTime();
            Drafter.Proposal p = g > 0 ? s.drafts.propose(java.util.Arrays.copyOf(s.committed, s.committedLength), g, false, () -> false) : null;
            s.draftNanos += System.nanoTime() - t0;
            int verifiable = p == null ? 0 : SpeculativeRounds.verifiable(p.tokens(), model.vocabSize());
            int[] rows = new int[verifiable + 1];
            rows[0] = s.pending;
            if (p != null) System.arraycopy(p.tokens(), 0, rows, 1, verifiable);
            tokens.add(rows);
            proposals.add(p);
            rowsLeft -= rows.length;
        }
        for (BatchSequence s : active) {
            if (!s.prefilling() || rowsLeft <= 0) continue;
            int chunk = Math.min(rowsLeft, s.prefillLength() - s.prefilled);
            members.add(s);
            tokens.add(java.util.Arrays.copyOfRange(s.prompt, s.prefilled, s.prefilled + chunk));
            proposals.add(null);
            rowsLeft -= chunk;
        }
        if (members.isEmpty()) return;
        int[] logitRows = new int[members.size()];
        int rows = 0;
        for (int i = 0; i < members.size(); i++) {
            BatchSequence s = members.get(i);
            sessions.add(s.session);
            int fed = tokens.get(i).length;
            rows += fed;
            if (!s.prefilling()) logitRows[i] = s.speculates() ? fed : 1;
            else logitRows[i] = !s.speculates() && s.prefilled + fed == s.prefillLength() ? 1 : 0;
        }
        long t1 = System.nanoTime();
        float[][][] logits = pass.forward(sessions, tokens, logitRows);
        long passNanos = System.nanoTime() - t1;
        for (BatchSequence s : members) if (s.speculates() && !s.prefilling()) s.verifyNanos += passNanos;
        lastRows = rows;
        lastSize = members.size();
        steps++;
        for (int i = 0; i < members.size(); i++) {
            BatchSequence s = members.get(i);
            if (s.prefilling()) {
                s.prefilled += tokens.get(i).length;
                if (s.prefilling()) continue;
                s.prefillDone();
                if (s.speculates()) continue; // its first round comes with the next step
            }
            FinishReason end = s.speculates() ? verify(s, proposals.get(i), logits[i]) : advance(s, logits[i][0]);
            if (end != null) {
                active.remove(s);
                leave(s, end);
            }
        }
    }

    /**
     * Accepts a prefix of a speculating sequence's draft, rolls its cache back to what is committed and hands the accepted
     * tokens and the target's next one over; the reason it ends, or null when it goes on.
     */
    private FinishReason verify(BatchSequence s, Drafter.Proposal proposal, float[][] targetRows) {
        int[] draft = proposal == null ? new int[0] : proposal.tokens();
        SpeculativeRounds.Outcome outcome = s.rounds.verify(draft, proposal == null ? null : proposal.rows(), targetRows);
        s.session.truncate(s.committedLength + outcome.accepted());
        for (int j = 0; j <= outcome.accepted(); j++) {
            int token = j < outcome.accepted() ? draft[j] : outcome.next();
            if (token == s.eosId) return FinishReason.EOS;
            s.commit(token);
            s.generated++;
            generated++;
            s.deliver(token);
            if (s.generated == s.maxTokens) return FinishReason.LENGTH;
        }
        s.pending = s.committed[s.committedLength - 1];
        return null;
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
        s.release();
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
            s.release();
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
