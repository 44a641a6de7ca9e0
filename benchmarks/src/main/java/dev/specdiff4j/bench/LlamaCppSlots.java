package dev.specdiff4j.bench;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * llama.cpp serving several clients the way {@code llama-server --parallel N} does, without the HTTP around it: N slots,
 * each a sequence of one {@link LlamaCppNative} context; one loop thread that, every step, puts the next token of every
 * generating slot and then as many prompt tokens of newly admitted requests as fit ({@link LlamaCppNative#MAX_BATCH} rows)
 * into one {@code llama_decode}, takes the greedy token of each output row, and frees a slot the moment its request is done
 * so a waiting request takes it. Requests beyond N wait in arrival order.
 *
 * <p>{@link #complete} may be called from any number of threads; each call blocks until its answer is complete. Greedy only;
 * a request ends after {@code maxTokens} tokens or at the end-of-sequence token given to the constructor.
 */
public final class LlamaCppSlots implements AutoCloseable {
    private final LlamaCppNative llama;
    private final int eosToken;
    private final Thread loop;
    private final Deque<Request> waiting = new ArrayDeque<>();
    private final Request[] slots;
    private final int[] rowSlot = new int[LlamaCppNative.MAX_BATCH]; // the loop thread's: the slot of each output row, -1 for none
    private long passes;
    private long generatedRows;
    private boolean closed;

    /** One request: its prompt, what it generated so far, how far its prompt is in the cache. */
    private static final class Request {
        final int[] prompt;
        final int maxTokens;
        final CompletableFuture<int[]> answer = new CompletableFuture<>();
        int[] generated;
        int count;
        int prefilled;

        Request(int[] prompt, int maxTokens) {
            this.prompt = prompt;
            this.maxTokens = maxTokens;
            this.generated = new int[maxTokens];
        }

        boolean prefilling() {
            return prefilled < prompt.length;
        }
    }

    /**
     * Loads {@code gguf} with {@code slots} sequences ({@link LlamaCppNative#LlamaCppNative(Path, Path, int, boolean, int)}) and
     * starts the loop thread. {@code eosToken} ends a request early (−1: never).
     */
    public LlamaCppSlots(Path libraryFolder, Path gguf, int threads, int slots, int eosToken) {
        this.llama = new LlamaCppNative(libraryFolder, gguf, threads, false, slots);
        this.eosToken = eosToken;
        this.slots = new Request[slots];
        this.loop = Thread.ofPlatform().name("llama.cpp slots").daemon().start(this::run);
    }

    /** llama.cpp's description ({@link LlamaCppNative#describe}) and the slot count. */
    public String describe() {
        return llama.describe() + ", " + slots.length + " parallel slots";
    }

    /** Greedy continuation of {@code prompt}, up to {@code maxTokens} tokens; blocks until it is complete. */
    public int[] complete(int[] prompt, int maxTokens) throws InterruptedException {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1, not " + maxTokens);
        if (prompt.length + maxTokens > LlamaCppNative.CONTEXT) {
            throw new IllegalArgumentException("prompt and answer exceed a slot's " + LlamaCppNative.CONTEXT + " tokens");
        }
        for (int t : prompt) {
            if (t < 0 || t >= llama.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary");
        }
        Request r = new Request(prompt, maxTokens);
        synchronized (this) {
            if (closed) throw new IllegalStateException("closed");
            waiting.addLast(r);
            notifyAll();
        }
        try {
            return r.answer.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("llama.cpp failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Decode passes made and tokens generated in them, since the start. */
    public synchronized long[] counts() {
        return new long[] {passes, generatedRows};
    }

    private void run() {
        try {
            while (admit()) step();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /** Fills free slots from the queue; waits while nothing is active. Returns false once closed. */
    private synchronized boolean admit() throws InterruptedException {
        while (true) {
            if (closed) return false;
            boolean active = false;
            for (int s = 0; s < slots.length; s++) {
                if (slots[s] == null && !waiting.isEmpty()) slots[s] = waiting.removeFirst();
                active |= slots[s] != null;
            }
            if (active) return true;
            wait();
        }
    }

    /** One pass: the generating slots' next rows first, then prompt chunks, as llama-server orders them. */
    private void step() {
        int rows = 0;
        for (int s = 0; s < slots.length; s++) {
            Request r = slots[s];
            if (r == null || r.prefilling()) continue;
            llama.setRow(rows, r.generated[r.count - 1], r.prompt.length + r.count - 1, s, true);
            rowSlot[rows++] = s;
        }
        for (int s = 0; s < slots.length && rows < LlamaCppNative.MAX_BATCH; s++) {
            Request r = slots[s];
            if (r == null || !r.prefilling()) continue;
            int take = Math.min(r.prompt.length - r.prefilled, LlamaCppNative.MAX_BATCH - rows);
            for (int i = 0; i < take; i++) {
                int position = r.prefilled + i;
                boolean last = position == r.prompt.length - 1;
                llama.setRow(rows, r.prompt[position], position, s, last);
                rowSlot[rows++] = last ? s : -1;
            }
            r.prefilled += take;
        }
        llama.decode(rows);
        int generatedNow = 0;
        for (int row = 0; row < rows; row++) {
            int s = rowSlot[row];
            if (s < 0) continue;
            Request r = slots[s];
            int token = llama.argmax(row);
            r.generated[r.count++] = token;
            generatedNow++;
            if (r.count == r.maxTokens || token == eosToken) {
                llama.clearSequence(s);
                synchronized (this) {
                    slots[s] = null;
                }
                r.answer.complete(Arrays.copyOf(r.generated, r.count));
            }
        }
        synchronized (this) {
            passes++;
            generatedRows += generatedNow;
        }
    }

    private synchronized void fail(RuntimeException e) {
        closed = true;
        for (Request r : slots) if (r != null) r.answer.completeExceptionally(e);
        for (Request r : waiting) r.answer.completeExceptionally(e);
        waiting.clear();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IllegalStateException gone = new IllegalStateException("closed");
        synchronized (this) {
            for (Request r : slots) if (r != null) r.answer.completeExceptionally(gone);
            for (Request r : waiting) r.answer.completeExceptionally(gone);
            waiting.clear();
        }
        llama.close();
    }
}
