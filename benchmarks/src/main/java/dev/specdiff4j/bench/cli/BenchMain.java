package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.Main;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * The benchmark harness's launcher ({@code benchmarks/target/specdiff4j-bench.jar}, run by {@code bin/specdiff4j bench}): the
 * {@code specdiff4j} command with the real {@code bench} command in place of the product jar's pointer to this launcher.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the benchmarks and returns the exit code; used by the tests too. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return Main.execute(args, out, err, cli -> {
            cli.getCommandSpec().removeSubcommand("bench");
            cli.addSubcommand("bench", new CommandLine(new BenchCommand()));
        });
    }
}
