package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.LoadingOptions;
import picocli.CommandLine.Option;

import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.util.List;

/** What `bench profile` and `bench ab` time: passes of some rows after a cached context, on a model and a thread count. */
final class PassOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "A GPT-2 or Llama-family folder or GGUF file (default: the demo target).")
    Path model;

    @Option(names = {"-t", "--threads"}, defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--context", defaultValue = "64", description = "Tokens cached before the timed passes (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--rows", split = ",", defaultValue = "1,2,4,5,8,16", description = "Rows per pass (default: ${DEFAULT-VALUE}).")
    List<Integer> rows;

    Path model() throws FileNotFoundException {
        return model != null ? model : DemoModels.target();
    }

    int threads() {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        return LoadingOptions.checkThreads("--threads", threads);
    }

    int[] rows() {
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }
}
