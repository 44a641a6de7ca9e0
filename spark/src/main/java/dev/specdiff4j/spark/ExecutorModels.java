package dev.specdiff4j.spark;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.ModelSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM, loaded once and shared by all tasks that run in it (a {@link Generator} is thread-safe: every
 * generation gets its own caches, the weights are shared). Keyed by the model paths and kernel threads; kept until the
 * JVM exits, as an executor's tasks come and go.
 */
public final class ExecutorModels {
    /** What identifies a loaded set of models. */
    record Key(String target, String drafter, String arDrafter, int threads) {
    }

    private static final Map<Key, Generator> LOADED = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {
    }

    /** The generator for these settings with this many kernel threads, loading it if no task of this JVM has yet. */
    public static Generator get(CompletionSettings s, int threads) {
        return LOADED.computeIfAbsent(new Key(s.target(), s.drafter(), s.arDrafter(), threads), ExecutorModels::open);
    }

    /** How many times this JVM has loaded models (for tests: once per settings, however many tasks ran). */
    static int loads() {
        return LOADS.get();
    }

    private static Generator open(Key key) {
        ModelSpec spec = ModelSpec.of(ModelPaths.resolve("target", key.target())).withKernels(null, key.threads(), 0);
        if (key.drafter() != null) spec = spec.withDiffusionDrafter(ModelPaths.resolve("drafter", key.drafter()));
        if (key.arDrafter() != null) spec = spec.withArDrafter(ModelPaths.resolve("autoregressive drafter", key.arDrafter()));
        try {
            LOADS.incrementAndGet();
            return Generator.open(spec);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the models " + key + ": " + e.getMessage(), e);
        }
    }
}
