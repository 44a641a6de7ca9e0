package dev.specdiff4j.bench;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The few functions of llama.cpp's C API ({@code llama.h}) that a greedy decode loop needs, bound through the FFM API to
 * the prebuilt libraries of the npm package {@code @node-llama-cpp/linux-x64} 3.21.1 (its llama.cpp has the
 * {@code llama_context_params} with {@code n_outputs_max_per_seq} and the {@code llama_model_params} with {@code load_mode}).
 * Declared by hand from the header's semantics; {@link #checkLayout} compares the library's default context parameters with
 * the offsets declared here, so a library of another version fails with a clear message instead of misreading memory.
 *
 * <p>One instance per process (the ggml backend registry is global): {@link #load} loads the libraries of a folder once,
 * registers the best CPU variant ({@link GgmlCpuVariant}) and silences llama.cpp's log, keeping its error lines for messages.
 */
final class LlamaCppApi {
    /** The ggml_backend loader and the decode path are C; every call below is a plain downcall. */
    private static final Linker LINKER = Linker.nativeLinker();

    // --- struct llama_batch (llama.h): n_tokens, then six arrays of n_tokens entries -----------------------------------
    static final StructLayout BATCH = MemoryLayout.structLayout(
            JAVA_INT.withName("n_tokens"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("token"),      // llama_token[n_tokens]
            ADDRESS.withName("embd"),       // float[n_tokens × n_embd], NULL when tokens are given
            ADDRESS.withName("pos"),        // llama_pos[n_tokens]
            ADDRESS.withName("n_seq_id"),   // int32_t[n_tokens]
            ADDRESS.withName("seq_id"),     // llama_seq_id*[n_tokens]
            ADDRESS.withName("logits"));    // int8_t[n_tokens]: nonzero = output this row's logits

    /**
     * Both parameter structs are larger than 16 bytes, so the System V AMD64 ABI passes and returns them in memory:
     * declaring slack after the last field is harmless (the callee never reads or writes past its own sizeof) and keeps a
     * struct that grew by a field from being cut short.
     */
    static final long PARAMS_BYTES = 256;

    // --- struct llama_context_params: the fields set or checked here, at their offsets --------------------------------
    static final long CTX_N_CTX = 0;               // uint32_t
    static final long CTX_N_BATCH = 4;             // uint32_t, logical maximum batch submitted to llama_decode
    static final long CTX_N_UBATCH = 8;            // uint32_t, physical maximum batch
    static final long CTX_N_SEQ_MAX = 12;          // uint32_t
    static final long CTX_N_OUTPUTS_MAX_PER_SEQ = 24; // uint32_t, 0 = n_outputs_max
    static final long CTX_N_THREADS = 28;          // int32_t, for single-token decoding
    static final long CTX_N_THREADS_BATCH = 32;    // int32_t, for batches
    static final long CTX_TYPE_K = 104;            // enum ggml_type of the K cache (1 = F16)
    static final long CTX_TYPE_V = 108;            // enum ggml_type of the V cache
    static final int GGML_TYPE_F32 = 0;
    static final long CTX_OFFLOAD_KQV = 129;       // bool, the second of the trailing booleans
    static final long CTX_NO_PERF = 130;           // bool
    static final long CTX_KV_UNIFIED = 133;        // bool, after op_offload and swa_full: one KV buffer for all sequences

    static final MemoryLayout PARAMS = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(PARAMS_BYTES / 8, ValueLayout.JAVA_LONG));

    private static final AddressLayout C_STRING = ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, JAVA_BYTE));
    private static final int GGML_LOG_LEVEL_ERROR = 4;

    private static LlamaCppApi instance;

    final Path folder;
    final GgmlCpuVariant variant;
    final String systemInfo;
    private final Deque<String> errors = new ArrayDeque<>();

    final MethodHandle modelDefaultParams;
    final MethodHandle modelLoadFromFile;
    final MethodHandle modelFree;
    final MethodHandle contextDefaultParams;
    final MethodHandle initFromModel;
    final MethodHandle free;
    final MethodHandle modelGetVocab;
    final MethodHandle vocabNTokens;
    final MethodHandle decode;
    final MethodHandle getLogitsIth;
    final MethodHandle getMemory;
    final MethodHandle memoryClear;
    final MethodHandle memorySeqRm;
    final MethodHandle nCtx;
    final MethodHandle nBatch;
    final MethodHandle nThreads;
    final MethodHandle nThreadsBatch;

    /** The bindings for the libraries in a folder (e.g. {@code …/@node-llama-cpp/linux-x64/bins/linux-x64}), loaded once. */
    static synchronized LlamaCppApi load(Path folder) {
        Path normalized = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(normalized)) {
            throw new IllegalArgumentException("llama.cpp library folder " + normalized + " does not exist (set SPECDIFF4J_GGML_LIB to the "
                    + "bins/linux-x64 folder of the npm package @node-llama-cpp/linux-x64)");
        }
        library(normalized, "libllama");
        if (instance != null) {
            if (!instance.folder.equals(normalized)) {
                throw new IllegalStateException("llama.cpp is already loaded from " + instance.folder + "; one process can use one copy, not also "
                        + normalized);
            }
            return instance;
        }
        instance = new LlamaCppApi(normalized);
        return instance;
    }

    private LlamaCppApi(Path folder) {
        this.folder = folder;
        Path llama = library(folder, "libllama");
        Path ggml = library(folder, "libggml");
        Arena global = Arena.global();
        SymbolLookup llamaLib = SymbolLookup.libraryLookup(llama, global);
        SymbolLookup ggmlLib = SymbolLookup.libraryLookup(ggml, global);

        MethodHandle logSet = function(llamaLib, "llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        modelDefaultParams = function(llamaLib, "llama_model_default_params", FunctionDescriptor.of(PARAMS));
        modelLoadFromFile = function(llamaLib, "llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, PARAMS));
        modelFree = function(llamaLib, "llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        contextDefaultParams = function(llamaLib, "llama_context_default_params", FunctionDescriptor.of(PARAMS));
        initFromModel = function(llamaLib, "llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, PARAMS));
        free = function(llamaLib, "llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        modelGetVocab = function(llamaLib, "llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        vocabNTokens = function(llamaLib, "llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        decode = function(llamaLib, "llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
        getLogitsIth = function(llamaLib, "llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        getMemory = function(llamaLib, "llama_get_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
        memoryClear = function(llamaLib, "llama_memory_clear", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN));
        memorySeqRm = function(llamaLib, "llama_memory_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        nCtx = function(llamaLib, "llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nBatch = function(llamaLib, "llama_n_batch", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nThreads = function(llamaLib, "llama_n_threads", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nThreadsBatch = function(llamaLib, "llama_n_threads_batch", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle backendInit = function(llamaLib, "llama_backend_init", FunctionDescriptor.ofVoid());
        MethodHandle printSystemInfo = function(llamaLib, "llama_print_system_info", FunctionDescriptor.of(C_STRING));
        MethodHandle backendLoad = function(ggmlLib, "ggml_backend_load", FunctionDescriptor.of(ADDRESS, ADDRESS));

        try {
            // the log: errors kept (the last few go into exception messages), everything else dropped
            MethodHandle log = MethodHandles.lookup().bind(this, "log", MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment callback = LINKER.upcallStub(log, FunctionDescriptor.ofVoid(JAVA_INT, C_STRING, ADDRESS), global);
            logSet.invokeExact(callback, MemorySegment.NULL);

            variant = GgmlCpuVariant.best(folder);
            MemorySegment registered = (MemorySegment) backendLoad.invokeExact(global.allocateFrom(variant.library().toString()));
            if (registered.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("ggml could not load its CPU backend " + variant.library() + lastErrors());
            }
            backendInit.invokeExact();
            systemInfo = ((MemorySegment) printSystemInfo.invokeExact()).getString(0).strip();
            checkLayout();
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("initialising llama.cpp from " + folder + " failed", t);
        }
    }

    /** The one library whose name starts with the prefix and a '.' (libllama.so, libllama.v0.4.0.so; not libllama-common.so). */
    private static Path library(Path folder, String prefix) {
        List<Path> found;
        try (Stream<Path> files = Files.list(folder)) {
            found = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix + ".") && n.endsWith(".so");
            }).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + folder, e);
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException(folder + " holds no " + prefix + ".so or " + prefix + ".v*.so (is it the bins/linux-x64 folder of "
                    + "@node-llama-cpp/linux-x64?)");
        }
        return found.get(found.size() - 1);
    }

    private static MethodHandle function(SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new IllegalStateException(
                "the llama.cpp library exports no " + name + ": not the version these bindings were written for (@node-llama-cpp/linux-x64 3.21.1)"));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** Compares the library's default context parameters with what llama.cpp documents for them, at the declared offsets. */
    private void checkLayout() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) contextDefaultParams.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            boolean ok = p.get(JAVA_INT, CTX_N_BATCH) == 2048 && p.get(JAVA_INT, CTX_N_UBATCH) == 512 && p.get(JAVA_INT, CTX_N_SEQ_MAX) == 1
                    && p.get(JAVA_INT, CTX_N_THREADS) > 0 && p.get(JAVA_INT, CTX_N_THREADS) == p.get(JAVA_INT, CTX_N_THREADS_BATCH)
                    && p.get(JAVA_INT, CTX_TYPE_K) == 1 && p.get(JAVA_INT, CTX_TYPE_V) == 1 && p.get(JAVA_BYTE, CTX_OFFLOAD_KQV) == 1
                    && p.get(JAVA_BYTE, CTX_KV_UNIFIED - 2) == 1 && p.get(JAVA_BYTE, CTX_KV_UNIFIED - 1) == 1 // op_offload, swa_full
                    && p.get(JAVA_BYTE, CTX_KV_UNIFIED) == 0;
            if (!ok) {
                throw new IllegalStateException("the llama.cpp in " + folder + " lays out llama_context_params differently from these bindings "
                        + "(written for @node-llama-cpp/linux-x64 3.21.1); refusing to pass it parameters");
            }
        }
    }

    @SuppressWarnings("unused") // the upcall target
    private void log(int level, MemorySegment text, MemorySegment userData) {
        if (level != GGML_LOG_LEVEL_ERROR || text.equals(MemorySegment.NULL)) return;
        String line = text.getString(0, StandardCharsets.UTF_8).strip();
        if (line.isEmpty()) return;
        synchronized (errors) {
            errors.addLast(line);
            while (errors.size() > 3) errors.removeFirst();
        }
    }

    /** ": " and llama.cpp's last error lines, or "" when it logged none; clears them. */
    String lastErrors() {
        synchronized (errors) {
            if (errors.isEmpty()) return "";
            String s = " (llama.cpp: " + String.join("; ", errors) + ")";
            errors.clear();
            return s;
        }
    }
}
