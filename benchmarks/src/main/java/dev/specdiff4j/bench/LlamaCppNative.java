package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * llama.cpp's own decode calls, timed with nothing around them: the prebuilt libraries of {@code @node-llama-cpp/linux-x64}
 * (the best CPU variant for this machine, {@link GgmlCpuVariant}) called through the FFM API ({@link LlamaCppApi}), one
 * sequence, a greedy argmax loop in Java over the logits llama.cpp returns. What is timed is {@code llama_decode} plus the
 * argmax, nothing else: no sampler chain, no detokenizing, no streaming, no JNI. The comparator the java-llama.cpp column
 * ({@link LlamaCpp}, a generic build behind JNI and a streaming server loop) cannot be.
 *
 * <p>Not thread-safe: one context. Context 1024 tokens (GPT-2's) per sequence, batches up to 512 tokens, llama.cpp's
 * defaults otherwise (F16 KV cache, flash attention on "auto"). {@link #forward} and {@link #greedy} use sequence 0; a
 * context made for several sequences ({@link #LlamaCppNative(Path, Path, int, boolean, int)}) also takes batches whose rows
 * belong to different sequences ({@link #decode}), as llama-server's parallel slots do ({@link LlamaCppSlots}).
 */
public final class LlamaCppNative implements AutoCloseable {
    /** Context length and the largest batch one {@code llama_decode} takes. */
    public static final int CONTEXT = 1024;
    public static final int MAX_BATCH = 512;
    /** The most sequences one context is made for here (llama.cpp allows up to 256). */
    public static final int MAX_SEQUENCES = 64;

    private final LlamaCppApi api;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment model;
    private final MemorySegment context;
    private final MemorySegment memory;
    private final int vocabSize;
    private final int threads;
    // one batch, reused: the arrays llama_batch points into
    private final MemorySegment batch;
    private final MemorySegment tokens;
    private final MemorySegment positions;
    private final MemorySegment outputs;
    private final MemorySegment rowSequences; // llama_seq_id*[MAX_BATCH]: row i points at sequenceIds[its sequence]
    private final MemorySegment sequenceIds;  // llama_seq_id[sequences] = 0, 1, 2, ...
    private final int sequences;
    private int length;

    /**
     * Loads a GGUF file with the llama.cpp libraries in {@code libraryFolder} and makes a context with {@code threads}
     * threads for single tokens and batches alike, and llama.cpp's default F16 KV cache.
     */
    public LlamaCppNative(Path libraryFolder, Path gguf, int threads) {
        this(libraryFolder, gguf, threads, false);
    }

    /**
     * As above; {@code f32Cache} keeps keys and values in F32 as specdiff4j does (for token-for-token comparisons on models
     * whose logits have near-ties that the F16 cache's rounding can flip).
     */
    public LlamaCppNative(Path libraryFolder, Path gguf, int threads, boolean f32Cache) {
        this(libraryFolder, gguf, threads, f32Cache, 1);
    }

    /**
     * As above, with room for {@code sequences} sequences of {@link #CONTEXT} tokens each, in separate KV streams
     * ({@code n_seq_max = sequences}, {@code kv_unified = false}: what {@code llama-server --parallel N} sets up).
     */
    public LlamaCppNative(Path libraryFolder, Path gguf, int threads, boolean f32Cache, int sequences) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        if (sequences < 1 || sequences > MAX_SEQUENCES) {
            throw new IllegalArgumentException("sequences must be 1 to " + MAX_SEQUENCES + ", not " + sequences);
        }
        this.sequences = sequences;
        checkGguf(gguf);
        this.api = LlamaCppApi.load(libraryFolder);
        this.threads = threads;
        try {
            MemorySegment modelParams = (MemorySegment) api.modelDefaultParams.invokeExact((SegmentAllocator) arena);
            api.lastErrors();
            model = (MemorySegment) api.modelLoadFromFile.invokeExact(arena.allocateFrom(gguf.toAbsolutePath().toString()), modelParams);
            if (model.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("llama.cpp could not load " + gguf + api.lastErrors());
            }
            MemorySegment p = (MemorySegment) api.contextDefaultParams.invokeExact((SegmentAllocator) arena);
            p.set(JAVA_INT, LlamaCppApi.CTX_N_CTX, CONTEXT * sequences);
            p.set(JAVA_INT, LlamaCppApi.CTX_N_SEQ_MAX, sequences);
            p.set(JAVA_BYTE, LlamaCppApi.CTX_KV_UNIFIED, (byte) 0);
            p.set(JAVA_INT, LlamaCppApi.CTX_N_BATCH, MAX_BATCH);
            p.set(JAVA_INT, LlamaCppApi.CTX_N_UBATCH, MAX_BATCH);
            p.set(JAVA_INT, LlamaCppApi.CTX_N_OUTPUTS_MAX_PER_SEQ, 0); // every row of a batch may ask for logits
            p.set(JAVA_INT, LlamaCppApi.CTX_N_THREADS, threads);
            p.set(JAVA_INT, LlamaCppApi.CTX_N_THREADS_BATCH, threads);
            p.set(JAVA_BYTE, LlamaCppApi.CTX_NO_PERF, (byte) 1);
            if (f32Cache) {
                p.set(JAVA_INT, LlamaCppApi.CTX_TYPE_K, LlamaCppApi.GGML_TYPE_F32);
                p.set(JAVA_INT, LlamaCppApi.CTX_TYPE_V, LlamaCppApi.GGML_TYPE_F32);
            }
            MemorySegment ctx = (MemorySegment) api.initFromModel.invokeExact(model, p);
            if (ctx.equals(MemorySegment.NULL)) {
                api.modelFree.invokeExact(model);
                throw new IllegalStateException("llama.cpp could not make a context for " + gguf + api.lastErrors());
            }
            context = ctx;
            // what the context reports back must be what was written at the declared offsets
            int[] got = {(int) api.nCtx.invokeExact(context), (int) api.nBatch.invokeExact(context), (int) api.nThreads.invokeExact(context),
                (int) api.nThreadsBatch.invokeExact(context)};
            if (got[0] < CONTEXT * sequences || got[1] != MAX_BATCH || got[2] != threads || got[3] != threads) {
                api.free.invokeExact(context);
                api.modelFree.invokeExact(model);
                throw new IllegalStateException("llama.cpp's context did not take the parameters given (n_ctx, n_batch, n_threads, n_threads_batch = "
                        + java.util.Arrays.toString(got) + "): the library's llama_context_params differ from these bindings'");
            }
            memory = (MemorySegment) api.getMemory.invokeExact(context);
            vocabSize = (int) api.vocabNTokens.invokeExact((MemorySegment) api.modelGetVocab.invokeExact(model));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException("llama.cpp failed while loading " + gguf, t);
        }
        batch = arena.allocate(LlamaCppApi.BATCH);
        tokens = arena.allocate(JAVA_INT, MAX_BATCH);
        positions = arena.allocate(JAVA_INT, MAX_BATCH);
        outputs = arena.allocate(JAVA_BYTE, MAX_BATCH);
        MemorySegment seqCounts = arena.allocate(JAVA_INT, MAX_BATCH);
        rowSequences = arena.allocate(ADDRESS, MAX_BATCH);
        sequenceIds = arena.allocate(JAVA_INT, sequences);
        for (int s = 0; s < sequences; s++) sequenceIds.setAtIndex(JAVA_INT, s, s);
        for (int i = 0; i < MAX_BATCH; i++) {
            seqCounts.setAtIndex(JAVA_INT, i, 1); // each row belongs to exactly one sequence
            rowSequences.setAtIndex(ADDRESS, i, sequenceIds.asSlice(0, JAVA_INT.byteSize()));
        }
        batch.set(ADDRESS, LlamaCppApi.BATCH.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("token")), tokens);
        batch.set(ADDRESS, LlamaCppApi.BATCH.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("embd")), MemorySegment.NULL);
        batch.set(ADDRESS, LlamaCppApi.BATCH.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("pos")), positions);
        batch.set(ADDRESS, LlamaCppApi.BATCH.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("n_seq_id")), seqCounts);
        batch.set(ADDRESS, LlamaCppApi.BATCH.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("seq_id")), rowSequences);
        batch.set(ADDRESS, LlamaCppApi.BATCH.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("logits")), outputs);
    }

    /** A file that does not start with the GGUF magic is refused here, before llama.cpp sees it. */
    private static void checkGguf(Path gguf) {
        if (!Files.isRegularFile(gguf)) throw new IllegalArgumentException("no model file " + gguf);
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(gguf)) {
            if (in.readNBytes(magic, 0, 4) != 4 || magic[0] != 'G' || magic[1] != 'G' || magic[2] != 'U' || magic[3] != 'F') {
                throw new IllegalArgumentException(gguf + " is not a GGUF file (it does not start with the bytes 'GGUF')");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + gguf, e);
        }
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** Tokens held in the KV cache. */
    public int length() {
        return length;
    }

    /** The CPU variant, the thread count and llama.cpp's own system line, for reports. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "llama.cpp via FFM (ggml CPU variant %s, score %d; %d threads; %s)", api.variant.name(),
                api.variant.score(), threads, api.systemInfo);
    }

    /** The CPU variant in use. */
    public GgmlCpuVariant variant() {
        return api.variant;
    }

    /** Forgets the cache from position {@code keep} on. */
    public void truncate(int keep) {
        if (keep < 0 || keep > length) throw new IllegalArgumentException("cannot keep " + keep + " of " + length + " tokens");
        try {
            if (keep == 0) {
                api.memoryClear.invokeExact(memory, true);
            } else if (!(boolean) api.memorySeqRm.invokeExact(memory, 0, keep, -1)) {
                throw new IllegalStateException("llama.cpp refused to drop positions " + keep + "… of its cache");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        length = keep;
    }

    /**
     * Appends tokens in one {@code llama_decode} call and returns the greedy (argmax) next token after each of the last
     * {@code outputRows} of them.
     */
    public int[] forward(int[] ids, int outputRows) {
        if (ids.length == 0 || ids.length > MAX_BATCH) throw new IllegalArgumentException("a pass takes 1 to " + MAX_BATCH + " tokens, not " + ids.length);
        if (outputRows < 1 || outputRows > ids.length) throw new IllegalArgumentException("outputRows must be 1 to " + ids.length);
        if (length + ids.length > CONTEXT) throw new IllegalArgumentException("the context holds " + CONTEXT + " tokens; " + length + " + " + ids.length + " do not fit");
        for (int i = 0; i < ids.length; i++) setRow(i, ids[i], length + i, 0, i >= ids.length - outputRows);
        decode(ids.length);
        length += ids.length;
        int[] next = new int[outputRows];
        for (int j = 0; j < outputRows; j++) next[j] = argmax(ids.length - outputRows + j);
        return next;
    }

    /**
     * Row {@code row} of the next {@link #decode}: {@code token} at {@code position} of sequence {@code sequence}, with its
     * logits kept when {@code output}. Positions are the caller's to keep (a sequence's rows must continue its cache).
     */
    public void setRow(int row, int token, int position, int sequence, boolean output) {
        if (row < 0 || row >= MAX_BATCH) throw new IllegalArgumentException("row " + row + " is outside a batch of " + MAX_BATCH);
        if (token < 0 || token >= vocabSize) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0–" + (vocabSize - 1) + ")");
        if (sequence < 0 || sequence >= sequences) throw new IllegalArgumentException("sequence " + sequence + " is outside 0–" + (sequences - 1));
        if (position < 0 || position >= CONTEXT) throw new IllegalArgumentException("position " + position + " is outside a sequence's " + CONTEXT + " tokens");
        tokens.setAtIndex(JAVA_INT, row, token);
        positions.setAtIndex(JAVA_INT, row, position);
        rowSequences.setAtIndex(ADDRESS, row, sequenceIds.asSlice((long) sequence * JAVA_INT.byteSize(), JAVA_INT.byteSize()));
        outputs.set(JAVA_BYTE, row, (byte) (output ? 1 : 0));
    }

    /** One {@code llama_decode} of the first {@code rows} rows set with {@link #setRow}. */
    public void decode(int rows) {
        if (rows < 1 || rows > MAX_BATCH) throw new IllegalArgumentException("a pass takes 1 to " + MAX_BATCH + " rows, not " + rows);
        batch.set(JAVA_INT, 0, rows);
        int status;
        try {
            status = (int) api.decode.invokeExact(context, batch);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (status != 0) throw new IllegalStateException("llama_decode returned " + status + api.lastErrors());
    }

    /** Forgets everything sequence {@code sequence} holds in the cache (a slot made free for the next request). */
    public void clearSequence(int sequence) {
        if (sequence < 0 || sequence >= sequences) throw new IllegalArgumentException("sequence " + sequence + " is outside 0–" + (sequences - 1));
        try {
            if (!(boolean) api.memorySeqRm.invokeExact(memory, sequence, -1, -1)) {
                throw new IllegalStateException("llama.cpp refused to clear sequence " + sequence);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The logits after the last token of the last pass (a copy). */
    float[] lastLogits() {
        return logitsRow(-1).toArray(JAVA_FLOAT);
    }

    /**
     * The logits after token {@code batchRow} of the last {@link #forward} pass ({@code llama_get_logits_ith}; the row must
     * have been one of its output rows), a copy.
     */
    public float[] logits(int batchRow) {
        return logitsRow(batchRow).toArray(JAVA_FLOAT);
    }

    /** The highest logit's token in an output row of the last pass (the lowest id among equals). */
    public int argmax(int batchRow) {
        MemorySegment row = logitsRow(batchRow);
        int best = 0;
        float max = row.getAtIndex(JAVA_FLOAT, 0);
        for (int v = 1; v < vocabSize; v++) {
            float x = row.getAtIndex(JAVA_FLOAT, v);
            if (x > max) {
                max = x;
                best = v;
            }
        }
        return best;
    }

    private MemorySegment logitsRow(int batchRow) {
        MemorySegment row;
        try {
            row = (MemorySegment) api.getLogitsIth.invokeExact(context, batchRow);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (row.equals(MemorySegment.NULL)) throw new IllegalStateException("llama.cpp returned no logits for row " + batchRow + api.lastErrors());
        return row.reinterpret((long) vocabSize * Float.BYTES);
    }

    /** A greedy run: its tokens, and the decode rate over the steps after the prompt pass. */
    public record Run(int[] tokens, long stepNanos) {
        /** (tokens − 1) / time of the one-token steps, the prompt pass left out, as for every engine of the benchmark. */
        public double tokensPerSecond() {
            return tokens.length > 1 ? (tokens.length - 1) / (stepNanos / 1e9) : 0;
        }
    }

    /** Greedy decoding of {@code count} tokens after a prompt, from an empty cache; only decode + argmax are timed. */
    public Run greedy(int[] prompt, int count) {
        if (count < 1) throw new IllegalArgumentException("count must be at least 1");
        if (prompt.length + count > CONTEXT) throw new IllegalArgumentException("prompt and continuation exceed the " + CONTEXT + "-token context");
        truncate(0);
        int[] out = new int[count];
        out[0] = forward(prompt, 1)[0];
        int[] step = new int[1];
        long nanos = 0;
        for (int i = 1; i < count; i++) {
            step[0] = out[i - 1];
            long t0 = System.nanoTime();
            out[i] = forward(step, 1)[0];
            nanos += System.nanoTime() - t0;
        }
        return new Run(out, nanos);
    }

    /** As a candidate of {@link SpecDiffBench}: greedy runs whose stats hold what {@link #greedy} times. */
    public SpecDiffBench.Engine asBenchEngine() {
        return new SpecDiffBench.Engine() {
            @Override
            public GenerationResult run(int[] prompt, GenerationConfig config) {
                Run r = greedy(prompt, config.maxTokens());
                int timed = r.tokens().length - 1;
                DecodeStats stats = new DecodeStats(prompt.length, timed, 0, Math.max(1, r.stepNanos()), 0, 0, 0, 0, 0, 0, FinishReason.LENGTH);
                return new GenerationResult("", prompt, r.tokens(), FinishReason.LENGTH, Mode.AR, stats, "llama.cpp (FFM)");
            }

            @Override
            public boolean exactTokens() {
                return false;
            }
        };
    }

    @Override
    public void close() {
        if (!arena.scope().isAlive()) return;
        try {
            api.free.invokeExact(context);
            api.modelFree.invokeExact(model);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }
}
