package dev.specdiff4j.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * llama.cpp through java-llama.cpp ({@code de.kherud:llama}, which ships the native library): an
 * independent engine to run our exported GGUF files. Prompts are passed as token ids (the server accepts a
 * JSON array; the binding has no setter for it, so the raw parameter is set), so both engines start from
 * exactly the same tokens.
 */
public final class LlamaCpp implements AutoCloseable {
    /** Where java-llama.cpp extracts its native library (its own property; java.io.tmpdir when unset). */
    static final String EXTRACTION_FOLDER = "de.kherud.llama.tmpdir";

    private final LlamaModel model;

    public LlamaCpp(Path gguf, int threads) {
        privateExtractionFolder();
        LlamaModel.setLogger(de.kherud.llama.args.LogFormat.TEXT, (level, message) -> { });
        this.model = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(512).setBatchSize(512)
                .setThreads(threads).setThreadsBatch(threads).skipWarmup());
    }

    /**
     * java-llama.cpp 4.2.0, before it extracts its native library, deletes every file of the extraction folder whose name
     * starts with "llama" or "jllama" (its clean-up of earlier extractions): in java.io.tmpdir that takes a user's
     * /tmp/llama-3.gguf or /tmp/llama.log with it. Unless the user named a folder, the library goes to a folder this
     * process creates (deleted at exit with the library files), so the clean-up sees only files it made itself.
     */
    static synchronized void privateExtractionFolder() {
        if (System.getProperty(EXTRACTION_FOLDER) != null) return;
        try {
            Path folder = java.nio.file.Files.createTempDirectory("specdiff4j-java-llama-");
            folder.toFile().deleteOnExit(); // registered before the library files, so deleted after them
            System.setProperty(EXTRACTION_FOLDER, folder.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create a folder for java-llama.cpp's native library: " + e.getMessage(), e);
        }
    }

    public int[] encode(String text) {
        return model.encode(text);
    }

    /** Greedy continuation of a tokenized prompt, as text. */
    public String greedy(int[] prompt, int tokens) {
        return run(prompt, tokens).text();
    }

    /**
     * A timed greedy run: the text, and the decode rate measured the way the benchmark measures every engine,
     * (tokens − 1) / (time of the last token − time of the first), which leaves the prompt pass out.
     */
    public record Run(String text, int tokens, double tokensPerSecond) {
    }

    public Run run(int[] prompt, int tokens) {
        InferenceParameters p = new InferenceParameters("").setNPredict(tokens).setTemperature(0).setTopK(1).setIgnoreEos(true)
                .setSeed(1).setCachePrompt(false);
        rawParameter(p, "prompt", Arrays.toString(prompt));
        StringBuilder text = new StringBuilder();
        long first = 0;
        long last = 0;
        int count = 0;
        for (LlamaOutput o : model.generate(p)) {
            long now = System.nanoTime();
            if (count == 0) first = now;
            last = now;
            count++;
            text.append(o.text);
        }
        double rate = count > 1 ? (count - 1) / ((last - first) / 1e9) : 0;
        return new Run(text.toString(), count, rate);
    }

    /**
     * This engine as a benchmark candidate: a greedy run of the configuration's length whose stats hold what {@link #run}
     * times ((tokens − 1) over first-to-last token time, the prompt pass left out). Its tokens are not ours to compare.
     */
    public SpecDiffBench.Engine asBenchEngine() {
        return new SpecDiffBench.Engine() {
            @Override
            public GenerationResult run(int[] prompt, GenerationConfig config) {
                Run r = LlamaCpp.this.run(prompt, config.maxTokens());
                int timed = Math.max(0, r.tokens() - 1);
                long nanos = r.tokensPerSecond() > 0 ? Math.round(timed / r.tokensPerSecond() * 1e9) : 1;
                DecodeStats stats = new DecodeStats(prompt.length, timed, 0, nanos, 0, 0, 0, 0, 0, 0, FinishReason.LENGTH);
                return new GenerationResult(r.text(), prompt, new int[0], FinishReason.LENGTH, Mode.AR, stats, "llama.cpp");
            }

            @Override
            public boolean exactTokens() {
                return false;
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static void rawParameter(InferenceParameters p, String key, String json) {
        try {
            Field f = Class.forName("de.kherud.llama.JsonParameters").getDeclaredField("parameters");
            f.setAccessible(true);
            ((Map<String, String>) f.get(p)).put(key, json);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot pass token ids to java-llama.cpp", e);
        }
    }

    /** java-llama.cpp 4.2.0 can hang in close(); release it on a daemon thread and wait a little at most. */
    @Override
    public void close() {
        Thread t = Thread.ofPlatform().daemon().start(model::close);
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
