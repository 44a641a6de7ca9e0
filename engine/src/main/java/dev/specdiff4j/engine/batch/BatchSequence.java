package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.Drafter;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.Sampler;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.decoding.SpeculativeRounds;
import dev.specdiff4j.engine.decoding.SpeculativeSettings;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.KvPages;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;

/**
 * One request in a {@link BatchScheduler}: the scheduler's thread feeds it and hands its tokens over; the request's own
 * thread reads them with {@link #next()} (so listeners, stop strings and streaming run there, never on the scheduler).
 */
public final class BatchSequence {
    private static final int END = -1;

    // the scheduler's side (its thread only)
    final int[] prompt;
    final int maxTokens;
    final Sampler sampler;
    final int eosId;
    final int positions;
    final long reservedBytes;
    CausalLanguageModel.Session session;
    KvPages pages; // its page table (the session's cache when the model pages it)
    int prefilled;
    int generated;
    int pending;
    /** Speculative sequences only (null for plain ones): the drafter, its session, the acceptance state, the committed tokens. */
    final Drafter drafter;
    final SpeculativeSettings speculative;
    Drafter.Session drafts;
    SpeculativeRounds rounds;
    int[] committed;
    int committedLength;
    long draftNanos;
    long verifyNanos; // the shared passes this sequence's drafts went through

    private final BooleanSupplier stop;
    private final LinkedBlockingQueue<Integer> tokens = new LinkedBlockingQueue<>();
    private final long submitted = System.nanoTime();
    private volatile long firstLogits;
    private volatile long ended;
    private volatile boolean abandoned;
    private volatile FinishReason reason;
    private volatile Throwable failure;

    BatchSequence(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, BooleanSupplier stop, int positions, long reservedBytes) {
        this(prompt, maxTokens, sampling, eosId, stop, positions, reservedBytes, null, null);
    }

    BatchSequence(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, BooleanSupplier stop, int positions, long reservedBytes,
                  Drafter drafter, SpeculativeSettings speculative) {
        this.drafter = drafter;
        this.speculative = speculative;
        if (drafter != null) {
            committed = java.util.Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
            committedLength = prompt.length;
            pending = prompt[prompt.length - 1];
        }
        this.prompt = prompt;
        this.maxTokens = maxTokens;
        this.sampler = new Sampler(sampling);
        this.eosId = eosId;
        this.stop = stop;
        this.positions = positions;
        this.reservedBytes = reservedBytes;
    }

    boolean speculates() {
        return drafter != null;
    }

    /**
     * Rows the target is fed before decoding starts: the whole prompt when plain (its last row's logits give the first token),
     * all but its last token when speculating (that one is fed with the first draft, as {@code SpeculativeDecoder} does).
     */
    int prefillLength() {
        return speculates() ? prompt.length - 1 : prompt.length;
    }

    boolean prefilling() {
        return prefilled < prefillLength();
    }

    void commit(int token) {
        if (committedLength == committed.length) committed = java.util.Arrays.copyOf(committed, committedLength * 2);
        committed[committedLength++] = token;
    }

    /** Closes what the scheduler opened for this sequence (its caches) and gives its KV pages back. */
    void release() {
        try {
            if (session != null) session.close();
            if (drafts != null) drafts.close();
        } finally {
            if (pages != null) pages.release();
        }
    }

    boolean stopRequested() {
        return stop.getAsBoolean();
    }

    boolean abandoned() {
        return abandoned;
    }

    void prefillDone() {
        firstLogits = System.nanoTime();
    }

    void deliver(int token) {
        tokens.add(token);
    }

    void end(FinishReason why) {
        reason = why;
        ended = System.nanoTime();
        if (firstLogits == 0) firstLogits = ended;
        tokens.add(END);
    }

    void fail(Throwable t) {
        failure = t;
        end(FinishReason.CANCELLED);
    }

    /**
     * The next token, waiting for it; -1 once the sequence has ended ({@link #finishReason()} says why).
     *
     * @throws IllegalStateException if the scheduler's pass failed (the cause attached)
     */
    public int next() throws InterruptedException {
        int t = tokens.take();
        if (t == END) {
            tokens.add(END); // later calls see the end too
            Throwable f = failure;
            if (f != null) throw new IllegalStateException("the batched pass failed: " + f.getMessage(), f);
        }
        return t;
    }

    /** The reader takes no more tokens (a stop string, a sink that declined, an interrupt): the sequence leaves the batch. */
    public void abandon() {
        abandoned = true;
    }

    /** Speculative rounds run (0 for a plain sequence); read it after the sequence ended. */
    public int rounds() {
        return rounds == null ? 0 : rounds.rounds();
    }

    /** Tokens drafted over all rounds. */
    public int drafted() {
        return rounds == null ? 0 : rounds.drafted();
    }

    /** Drafted tokens the target accepted. */
    public int accepted() {
        return rounds == null ? 0 : rounds.accepted();
    }

    /** Time its drafter took, on the scheduler's thread. */
    public long draftNanos() {
        return draftNanos;
    }

    /** Time of the shared passes that verified its drafts (other sequences' rows included). */
    public long verifyNanos() {
        return verifyNanos;
    }

    /** Why the sequence ended; null while it runs. */
    public FinishReason finishReason() {
        return reason;
    }

    /** From submission (queueing included) to the prompt's last logits. */
    public long prefillNanos() {
        long f = firstLogits;
        return f == 0 ? System.nanoTime() - submitted : f - submitted;
    }

    /** From the prompt's last logits to the end (or now). */
    public long decodeNanos() {
        long f = firstLogits;
        if (f == 0) return 0;
        long e = ended;
        return (e == 0 ? System.nanoTime() : e) - f;
    }
}
