package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.LossCurves;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "loss-plot", mixinStandardHelpOptions = true, description = "Plot training logs (train_log.csv of the training scripts) as a PNG.")
final class BenchLossPlot implements Callable<Integer> {
    @Option(names = "--log", required = true, split = ",", description = "train_log.csv files written by the training scripts, comma-separated.") List<Path> logs;
    @Option(names = "--name", required = true, split = ",", description = "A legend name for each log, in the same order.") List<String> names;
    @Option(names = "--title", defaultValue = "Training loss", description = "Plot title (default: ${DEFAULT-VALUE}).") String title;
    @Option(names = "--held-out-label", defaultValue = "held-out loss", description = "Legend suffix of the held-out column (default: ${DEFAULT-VALUE}).") String heldOut;
    @Option(names = "--no-held-out", split = ",", paramLabel = "NAME", description = "Names whose held-out column is not a loss (not drawn).")
    List<String> noHeldOut = List.of();
    @Option(names = "-o", required = true, description = "The PNG to write.") Path out;

    @Override
    public Integer call() throws Exception {
        if (logs.size() != names.size()) throw new IllegalArgumentException("give one --name per --log");
        LossCurves.plot(logs, names, title, heldOut, Set.copyOf(noHeldOut), out);
        System.err.println("wrote " + out);
        return 0;
    }
}
