package dev.specdiff4j.cli;

import dev.specdiff4j.engine.decoding.SamplingConfig;
import picocli.CommandLine.Option;

/** How tokens are chosen; shared by the commands that generate. */
final class SamplingOptions {
    @Option(names = {"--temperature", "--temp"}, defaultValue = "0", description = "0 for greedy decoding (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample from the k most likely tokens only (0: all).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (1: all).")
    double topP;

    @Option(names = {"-s", "--seed"}, defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    SamplingConfig config() {
        return new SamplingConfig(temperature, topK, topP, seed);
    }
}
