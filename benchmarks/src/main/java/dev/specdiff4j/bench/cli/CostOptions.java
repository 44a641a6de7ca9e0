package dev.specdiff4j.bench.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where the cost benchmarks on random-weight models keep their models and write their results (`bench rounds`, `bench project`). */
final class CostOptions {
    @Option(names = "--work", defaultValue = "target/bench-work", description = "Where the random models are written and kept (default: ${DEFAULT-VALUE}).") Path work;
    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).") int threads;
    @Option(names = "--out", defaultValue = "target/bench", description = "Folder for the tables and data (default: ${DEFAULT-VALUE}).") Path out;
}
