package dev.specdiff4j.langchain4j;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;

/**
 * The base of specdiff4j's LangChain4j models. Thread-safe: one model (and one {@link Generator}) serves any number of threads.
 * {@link #close()} closes the generator only when the model opened it itself ({@code target(...)}), never a shared one.
 */
public abstract class SpecDiff4jModel implements AutoCloseable {
    final Core core;

    SpecDiff4jModel(Core core) {
        this.core = core;
    }

    /** The generator this model runs on. */
    public Generator generator() {
        return core.generator;
    }

    /** The settings of a request that overrides nothing. */
    public GenerationConfig defaultConfig() {
        return core.defaults;
    }

    @Override
    public void close() {
        core.close();
    }
}
