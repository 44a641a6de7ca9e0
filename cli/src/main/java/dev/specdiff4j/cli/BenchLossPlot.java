package dev.specdiff4j.cli;

import dev.specdiff4j.bench.LossCurves;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "loss-plot", mixinStandardHelpOptions = true, description = "Plot training logs (train_log.csv of the training scripts) as a PNG.")
final class BenchLossPlot implements Callable<Integer> {
    @Option(names = "--log", required = true, split = ",") List<Path> logs;
    @Option(names = "--name", required = true, split = ",") List<String> names;
    @Option(names = "--title", defaultValue = "Training loss") String title;
    @Option(names = "--held-out-label", defaultValue = "held-out loss") String heldOut;
    @Option(names = "-o", required = true) Path out;

    @Override
    public Integer call() throws Exception {
        if (logs.size() != names.size()) throw new IllegalArgumentException("give one --name per --log");
        LossCurves.plot(logs, names, title, heldOut, out);
        System.err.println("wrote " + out);
        return 0;
    }
}
