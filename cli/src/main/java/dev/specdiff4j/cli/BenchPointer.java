package dev.specdiff4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * Stands in for the benchmark harness, which is not part of {@code specdiff4j.jar} (JMH, XChart and java-llama.cpp would
 * make it four times larger): it says how to run it. The harness's own launcher ({@code benchmarks/target/specdiff4j-bench.jar},
 * built by {@code bin/specdiff4j bench} on first use) replaces this command with the real one.
 */
@Command(name = "bench",
        description = {"Benchmarks: a separate launcher, built on first use by bin/specdiff4j bench (needs the repository).",
            "Run bin/specdiff4j bench --help for the list."})
final class BenchPointer implements Callable<Integer> {
    static final String MESSAGE = "the benchmark harness is not part of specdiff4j.jar: run bin/specdiff4j bench ... from the repository "
            + "(it builds benchmarks/target/specdiff4j-bench.jar on first use)";

    @Unmatched
    List<String> arguments;

    @Override
    public Integer call() {
        throw new IllegalStateException(MESSAGE);
    }
}
