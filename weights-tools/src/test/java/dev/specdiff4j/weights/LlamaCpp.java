package dev.specdiff4j.weights;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;

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
final class LlamaCpp implements AutoCloseable {
    private final LlamaModel model;

    LlamaCpp(Path gguf, int threads) {
        LlamaModel.setLogger(null, (level, message) -> { });
        this.model = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(512).setBatchSize(512)
                .setThreads(threads).setThreadsBatch(threads).skipWarmup());
    }

    int[] encode(String text) {
        return model.encode(text);
    }

    /** Greedy continuation of a tokenized prompt, as text. */
    String greedy(int[] prompt, int tokens) {
        InferenceParameters p = new InferenceParameters("").setNPredict(tokens).setTemperature(0).setTopK(1).setIgnoreEos(true)
                .setSeed(1).setCachePrompt(false);
        rawParameter(p, "prompt", Arrays.toString(prompt));
        StringBuilder text = new StringBuilder();
        for (LlamaOutput o : model.generate(p)) text.append(o.text);
        return text.toString();
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
