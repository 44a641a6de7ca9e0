package dev.specdiff4j.bench;

import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.tokenizer.Tokenizers;
import dev.specdiff4j.weights.Converter;
import dev.specdiff4j.weights.RandomCheckpoints;
import dev.specdiff4j.weights.RandomTransformerGguf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plain autoregressive decoding of a GPT-2-small-shaped model (random weights; 124 M parameters, vocabulary 50257), or of a
 * Llama-3.2-1B-shaped one (1.24 B parameters, vocabulary 128256, GGUFs written straight in each dtype by
 * {@link RandomTransformerGguf}), by
 * specdiff4j and by llama.cpp in the same run, on the same GGUF files (exports made by our converter, one per dtype of
 * {@link #DTYPES}), in balanced order (A B B A …) after a warm-up; every ratio is the median of per-repetition paired
 * ratios with its confidence interval ({@link PairedRatios}). Two llama.cpp comparators: {@link LlamaCppNative} (its own
 * {@code llama_decode} through FFM on the best CPU build of the prebuilt libraries, only decode + argmax timed), and
 * java-llama.cpp ({@link LlamaCpp}: a generic build behind JNI and a streaming server loop).
 *
 * <p>Measured per dtype: decode tokens/s; after a 64-token context a one-token step, a 4-token pass and a 16-token pass
 * (logits and argmax of every row, as a verification pass needs); and a 512-token prompt pass (logits of its last row).
 * The passes are timed for specdiff4j and the FFM comparator, pass by pass in balanced order.
 */
public final class DecodeBenchmark {
    /** The dtypes compared by default, as {@code bench decode --dtype} takes them: a new dtype is one more name here. */
    public static final List<String> DTYPES = List.of("f32", "f16", "bf16", "q8_0", "q4_0", "q4_k");
    /** The dtypes of the Llama-3.2-1B-shaped model by default (the formats its GGUFs are usually downloaded in). */
    public static final List<String> LLAMA_DTYPES = List.of("f16", "q8_0", "q4_k");
    /** The model names {@code bench decode --model} takes. */
    public static final String GPT2_SMALL = "gpt2-small";
    public static final String LLAMA_1B = "llama-3.2-1b";
    /** Context before the timed passes, pass lengths, and the prompt-processing length. */
    static final int CONTEXT = 64;
    static final int[] PASSES = {1, 4, 16};
    static final int PROMPT = 512;
    static final int PASS_WARMUP = 5;
    static final int PASS_REPEATS = 20;

    /** Times in milliseconds of specdiff4j and of the FFM comparator for one pass length, with their paired ratios. */
    public record PassTimes(Samples oursMs, Samples llamaMs, PairedRatios oursOverLlama) {
        static PassTimes empty() {
            return new PassTimes(new Samples(), new Samples(), new PairedRatios());
        }

        void add(double ours, double llama) {
            oursMs.add(ours);
            if (!Double.isNaN(llama)) {
                llamaMs.add(llama);
                oursOverLlama.add(ours, llama);
            }
        }
    }

    /**
     * Results per dtype. The FFM columns are empty when its library was not given; {@code ffmVariant} names the ggml CPU
     * build it ran.
     */
    public record Result(DType dtype, Samples ours, Samples ffm, PairedRatios oursOverFfm, Samples javaLlama, PairedRatios oursOverJavaLlama,
                         PassTimes step1, PassTimes pass4, PassTimes pass16, PassTimes prompt512, String ffmVariant) {
        public double verifyCostRatio() {
            return pass16.oursMs().median() / step1.oursMs().median();
        }
    }

    private final Path work;
    private final Path tokenizer;
    private final int threads;
    private final int tokens;
    private final int repeats;
    private final Path ggmlLib;
    private final boolean javaLlamaCpp;
    private final PrintStream log;
    private final Path llamaVocabulary;

    /**
     * @param ggmlLib      the folder of llama.cpp's prebuilt libraries for the FFM comparator, or null to leave it out
     * @param javaLlamaCpp whether to measure java-llama.cpp's decode rate too
     */
    public DecodeBenchmark(Path work, Path tokenizer, int threads, int tokens, int repeats, Path ggmlLib, boolean javaLlamaCpp, PrintStream log) {
        this(work, tokenizer, null, threads, tokens, repeats, ggmlLib, javaLlamaCpp, log);
    }

    /**
     * @param llamaVocabulary llama.cpp's {@code ggml-vocab-llama-bpe.gguf} (Llama 3's tokenizer, 128256 tokens): measure a
     *                        random-weight Llama-3.2-1B-shaped model with it instead of GPT-2 small; null for GPT-2 small
     */
    public DecodeBenchmark(Path work, Path tokenizer, Path llamaVocabulary, int threads, int tokens, int repeats, Path ggmlLib,
                           boolean javaLlamaCpp, PrintStream log) {
        if (tokens < 2) throw new IllegalArgumentException("--tokens must be at least 2 (the rate is measured between the first and last token)");
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1");
        this.work = work;
        this.tokenizer = tokenizer;
        this.threads = threads;
        this.tokens = tokens;
        this.repeats = repeats;
        this.ggmlLib = ggmlLib;
        this.javaLlamaCpp = javaLlamaCpp;
        this.log = log;
        this.llamaVocabulary = llamaVocabulary;
    }

    /** Progress steps of one dtype: decode repetitions plus the prompt passes. */
    public long stepsPerDtype() {
        return 2L * repeats;
    }

    /** The GGUF export of a random GPT-2 small in a dtype, made once and kept in the work folder. */
    Path model(DType dtype) throws IOException {
        if (llamaVocabulary != null) return llamaModel(dtype);
        return randomGpt2Small(work, tokenizer, dtype, log);
    }

    /**
     * A random-weight GPT-2 small (124 M parameters, seed 42, with the tokenizer of {@code tokenizer}) exported to GGUF in
     * {@code dtype}; written once into {@code work} and reused.
     */
    public static Path randomGpt2Small(Path work, Path tokenizer, DType dtype, PrintStream log) throws IOException {
        Path hf = work.resolve("gpt2-small-random");
        if (!Files.exists(hf.resolve("model.safetensors"))) {
            log.println("writing a random-weight GPT-2 small (124 M parameters) to " + hf);
            RandomCheckpoints.gpt2(hf, RandomCheckpoints.Gpt2Shape.SMALL, DType.F32, 42);
            RandomCheckpoints.addTokenizer(hf, Tokenizers.load(tokenizer));
        }
        Path gguf = work.resolve("gpt2-small-random-" + dtype.displayName() + ".gguf");
        if (!Files.exists(gguf)) {
            log.println("exporting " + gguf.getFileName());
            Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, dtype, false, null));
        }
        return gguf;
    }

    /** The random-weight Llama-3.2-1B-shaped GGUF in a dtype (written straight in it), made once and kept in the work folder. */
    private Path llamaModel(DType dtype) throws IOException {
        Path gguf = work.resolve("llama-3.2-1b-random-" + dtype.displayName() + ".gguf");
        if (!Files.exists(gguf)) {
            try (GgufFile vocabulary = GgufFile.open(llamaVocabulary)) {
                int vocab = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
                log.println("writing a random-weight Llama-3.2-1B-shaped GGUF (1.24 B parameters, " + dtype.displayName() + ") to " + gguf);
                RandomTransformerGguf.write(gguf, RandomTransformerGguf.llama32OneB(vocab), dtype, vocabulary, 42);
            }
        }
        return gguf;
    }

    public Result run(DType dtype, Progress progress) throws IOException {
        Path gguf = model(dtype);
        int[] prompt = new int[32];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 7919 + 11) % 8000;
        Samples ours = new Samples();
        Samples ffm = new Samples();
        Samples jll = new Samples();
        PairedRatios oursOverFfm = new PairedRatios();
        PairedRatios oursOverJll = new PairedRatios();
        PassTimes step1 = PassTimes.empty();
        PassTimes pass4 = PassTimes.empty();
        PassTimes pass16 = PassTimes.empty();
        PassTimes prompt512 = PassTimes.empty();
        String variant = null;
        try (Generator generator = Generator.open(ModelSpec.of(gguf).withKernels(null, threads, 0));
             LlamaCppNative llama = ggmlLib == null ? null : new LlamaCppNative(ggmlLib, gguf, threads)) {
            if (llama != null) variant = llama.variant().name();
            LlamaCpp javaLlama = javaLlamaCpp ? new LlamaCpp(gguf, threads) : null;
            try {
                // warm-up: one full-length run of each
                ourRate(generator, prompt, tokens);
                if (llama != null) llama.greedy(prompt, tokens);
                if (javaLlama != null) javaLlama.run(prompt, tokens);
                for (int r = 0; r < repeats; r++) {
                    double a = Double.NaN;
                    double b = Double.NaN;
                    double c = Double.NaN;
                    if (r % 2 == 0) {
                        a = ourRate(generator, prompt, tokens);
                        if (llama != null) b = llama.greedy(prompt, tokens).tokensPerSecond();
                        if (javaLlama != null) c = javaLlama.run(prompt, tokens).tokensPerSecond();
                    } else {
                        if (javaLlama != null) c = javaLlama.run(prompt, tokens).tokensPerSecond();
                        if (llama != null) b = llama.greedy(prompt, tokens).tokensPerSecond();
                        a = ourRate(generator, prompt, tokens);
                    }
                    ours.add(a);
                    if (llama != null) {
                        ffm.add(b);
                        oursOverFfm.add(a, b);
                    }
                    if (javaLlama != null) {
                        jll.add(c);
                        oursOverJll.add(a, c);
                    }
                    progress.step();
                }
            } finally {
                if (javaLlama != null) javaLlama.close();
            }
            passes(generator.target(), llama, prompt, step1, pass4, pass16);
            promptPasses(generator.target(), llama, prompt512, progress);
        }
        return new Result(dtype, ours, ffm, oursOverFfm, jll, oursOverJll, step1, pass4, pass16, prompt512, variant);
    }

    /** (tokens − 1) / (last token time − first token time), as for llama.cpp. */
    static double ourRate(Generator generator, int[] prompt, int tokens) {
        long[] first = {0};
        long[] last = {0};
        int[] count = {0};
        generator.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(tokens).stopAtEos(false).build(),
                new GenerationListener() {
                    @Override
                    public void onText(String text) {
                    }

                    @Override
                    public void onTokens(int[] ids) {
                        long now = System.nanoTime();
                        if (count[0] == 0) first[0] = now;
                        last[0] = now;
                        count[0] += ids.length;
                    }
                }, new Cancellation());
        return (count[0] - 1) / ((last[0] - first[0]) / 1e9);
    }

    /**
     * A one-token step, a 4-token pass and a 16-token pass after a 64-token context, each rolled back afterwards; specdiff4j
     * and llama.cpp alternate which goes first. Every pass computes the logits of all its rows and their argmax.
     */
    static void passes(CausalLanguageModel model, LlamaCppNative llama, int[] prompt, PassTimes step1, PassTimes pass4, PassTimes pass16) {
        int[] context = new int[CONTEXT];
        for (int i = 0; i < context.length; i++) context[i] = prompt[i % prompt.length];
        int[] block = new int[PASSES[PASSES.length - 1]];
        for (int i = 0; i < block.length; i++) block[i] = (i * 31 + 5) % 8000;
        PassTimes[] into = {step1, pass4, pass16};
        try (CausalLanguageModel.Session s = model.newSession()) {
            s.forward(context, 1);
            if (llama != null) {
                llama.truncate(0);
                llama.forward(context, 1);
            }
            for (int r = 0; r < PASS_WARMUP + PASS_REPEATS; r++) {
                for (int p = 0; p < PASSES.length; p++) {
                    int[] ids = java.util.Arrays.copyOf(block, PASSES[p]);
                    double a;
                    double b = Double.NaN;
                    if (r % 2 == 0 || llama == null) {
                        a = ourPassMs(s, ids, ids.length);
                        if (llama != null) b = llamaPassMs(llama, ids, ids.length);
                    } else {
                        b = llamaPassMs(llama, ids, ids.length);
                        a = ourPassMs(s, ids, ids.length);
                    }
                    if (r >= PASS_WARMUP) into[p].add(a, b);
                }
            }
        }
    }

    /** Prompt processing: 512 tokens from an empty cache, the last row's logits and argmax; a warm-up, then balanced order. */
    static void promptPasses(CausalLanguageModel model, LlamaCppNative llama, PassTimes into, Progress progress, int repeats) {
        int[] ids = new int[PROMPT];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919 + 11) % 8000;
        try (CausalLanguageModel.Session s = model.newSession()) {
            for (int r = -1; r < repeats; r++) {
                double a;
                double b = Double.NaN;
                s.truncate(0);
                if (llama != null) llama.truncate(0);
                if (r % 2 == 0 || llama == null) {
                    a = ourPassMs(s, ids, 1);
                    if (llama != null) b = llamaPassMs(llama, ids, 1);
                } else {
                    b = llamaPassMs(llama, ids, 1);
                    a = ourPassMs(s, ids, 1);
                }
                if (r >= 0) {
                    into.add(a, b);
                    progress.step();
                }
            }
        }
    }

    private void promptPasses(CausalLanguageModel model, LlamaCppNative llama, PassTimes into, Progress progress) {
        promptPasses(model, llama, into, progress, repeats);
    }

    /** One pass of ours, timed with the argmax of its output rows, then rolled back. */
    private static double ourPassMs(CausalLanguageModel.Session s, int[] ids, int rows) {
        int keep = s.length();
        long t0 = System.nanoTime();
        float[][] logits = s.forward(ids, rows);
        int sink = 0;
        for (float[] row : logits) sink += argmax(row);
        long t1 = System.nanoTime();
        s.truncate(keep);
        if (sink < 0) throw new AssertionError();
        return (t1 - t0) / 1e6;
    }

    private static double llamaPassMs(LlamaCppNative llama, int[] ids, int rows) {
        int keep = llama.length();
        long t0 = System.nanoTime();
        llama.forward(ids, rows);
        long t1 = System.nanoTime();
        llama.truncate(keep);
        return (t1 - t0) / 1e6;
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /** The decode table: tokens/s of each engine and the paired ratios. */
    public static String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("| weights | specdiff4j tok/s | llama.cpp FFM tok/s | specdiff4j ÷ llama.cpp FFM | llama.cpp java-llama.cpp tok/s | specdiff4j ÷ java-llama.cpp |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.dtype().displayName(), r.ours().format("%.1f"),
                    cell(r.ffm(), "%.1f"), r.oursOverFfm().format(), cell(r.javaLlama(), "%.1f"), r.oursOverJavaLlama().format()));
        }
        return b.toString();
    }

    /** The pass table: medians in ms as "specdiff4j / llama.cpp FFM", and the paired ratios of the 16- and 512-token passes. */
    public static String passTable(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("| weights | 1-token step ms | 4-token pass ms | 4 ÷ 1 | 16-token pass ms | 16 ÷ 1 | 16-token pass specdiff4j ÷ llama.cpp "
                + "| 512-token prompt ms | 512-token prompt specdiff4j ÷ llama.cpp |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.dtype().displayName(),
                    pair(r.step1(), "%.2f"), pair(r.pass4(), "%.2f"), ratioPair(r.pass4(), r.step1()), pair(r.pass16(), "%.2f"),
                    ratioPair(r.pass16(), r.step1()), r.pass16().oursOverLlama().format(), pair(r.prompt512(), "%.0f"),
                    r.prompt512().oursOverLlama().format()));
        }
        return b.toString();
    }

    private static String cell(Samples s, String pattern) {
        return s.count() == 0 ? "–" : s.format(pattern);
    }

    private static String pair(PassTimes t, String pattern) {
        String llama = t.llamaMs().count() == 0 ? "–" : String.format(Locale.ROOT, pattern, t.llamaMs().median());
        return String.format(Locale.ROOT, pattern, t.oursMs().median()) + " / " + llama;
    }

    private static String ratioPair(PassTimes longer, PassTimes one) {
        String llama = longer.llamaMs().count() == 0 ? "–"
                : String.format(Locale.ROOT, "%.2f", longer.llamaMs().median() / one.llamaMs().median());
        return String.format(Locale.ROOT, "%.2f", longer.oursMs().median() / one.oursMs().median()) + " / " + llama;
    }

    /** The results as JSON-ready maps. */
    public static List<Map<String, Object>> json(List<Result> results) {
        return results.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", r.dtype().displayName());
            m.put("ours_tokens_per_second", r.ours().values());
            m.put("llama_cpp_ffm_variant", r.ffmVariant());
            m.put("llama_cpp_ffm_tokens_per_second", r.ffm().values());
            m.put("paired_ratios_to_llama_cpp_ffm", r.oursOverFfm().values());
            m.put("ratio_to_llama_cpp_ffm", nullIfNaN(r.oursOverFfm().median()));
            m.put("java_llama_cpp_tokens_per_second", r.javaLlama().values());
            m.put("paired_ratios_to_java_llama_cpp", r.oursOverJavaLlama().values());
            m.put("ratio_to_java_llama_cpp", nullIfNaN(r.oursOverJavaLlama().median()));
            m.put("step_1_ms", passJson(r.step1()));
            m.put("pass_4_ms", passJson(r.pass4()));
            m.put("pass_16_ms", passJson(r.pass16()));
            m.put("prompt_512_ms", passJson(r.prompt512()));
            m.put("verify_cost_ratio", r.verifyCostRatio());
            return m;
        }).toList();
    }

    /** A result back from {@link #json}: what a child JVM of {@code bench decode} hands to its parent. */
    @SuppressWarnings("unchecked")
    public static Result fromJson(Map<String, Object> m) {
        double[] ours = doubles(m.get("ours_tokens_per_second"));
        double[] ffm = doubles(m.get("llama_cpp_ffm_tokens_per_second"));
        double[] jll = doubles(m.get("java_llama_cpp_tokens_per_second"));
        Samples oursSamples = new Samples();
        Samples ffmSamples = new Samples();
        Samples jllSamples = new Samples();
        PairedRatios oursOverFfm = new PairedRatios();
        PairedRatios oursOverJll = new PairedRatios();
        for (int i = 0; i < ours.length; i++) {
            oursSamples.add(ours[i]);
            if (ffm.length > 0) {
                ffmSamples.add(ffm[i]);
                oursOverFfm.add(ours[i], ffm[i]);
            }
            if (jll.length > 0) {
                jllSamples.add(jll[i]);
                oursOverJll.add(ours[i], jll[i]);
            }
        }
        return new Result(DType.parse((String) m.get("dtype")), oursSamples, ffmSamples, oursOverFfm, jllSamples, oursOverJll,
                passFromJson((Map<String, Object>) m.get("step_1_ms")), passFromJson((Map<String, Object>) m.get("pass_4_ms")),
                passFromJson((Map<String, Object>) m.get("pass_16_ms")), passFromJson((Map<String, Object>) m.get("prompt_512_ms")),
                (String) m.get("llama_cpp_ffm_variant"));
    }

    private static PassTimes passFromJson(Map<String, Object> m) {
        double[] ours = doubles(m.get("ours"));
        double[] llama = doubles(m.get("llama_cpp_ffm"));
        PassTimes t = PassTimes.empty();
        for (int i = 0; i < ours.length; i++) t.add(ours[i], llama.length == 0 ? Double.NaN : llama[i]);
        return t;
    }

    private static double[] doubles(Object list) {
        return ((List<?>) list).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
    }

    private static Map<String, Object> passJson(PassTimes t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ours", t.oursMs().values());
        m.put("llama_cpp_ffm", t.llamaMs().values());
        m.put("paired_ratios", t.oursOverLlama().values());
        return m;
    }

    private static Object nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
