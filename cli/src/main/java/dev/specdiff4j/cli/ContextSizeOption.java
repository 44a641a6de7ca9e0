package dev.specdiff4j.cli;

import dev.specdiff4j.engine.api.ModelSpec;
import picocli.CommandLine.Option;

/** llama.cpp's -c/--ctx-size: the tokens a generation may hold, for the commands that generate. */
public final class ContextSizeOption {
    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0", description = "Tokens a generation may hold, prompt and "
            + "reply together, at most the model's context (default: ${DEFAULT-VALUE}, the model's context).")
    int contextSize;

    ModelSpec applyTo(ModelSpec spec) {
        if (contextSize < 0) throw new IllegalArgumentException("--ctx-size must be 0 (the model's context) or more, got " + contextSize);
        return spec.withContextSize(contextSize);
    }
}
