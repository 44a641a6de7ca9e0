package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.bench.TokenizerBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "GPT-2 encoding throughput of specdiff4j's tokenizer against jtokkit's r50k_base on the same text, same run.")
final class BenchTokenizer implements Callable<Integer> {
    @Option(names = "--text", paramLabel = "FILE", description = "UTF-8 text (default: the README and the demo model card, repeated to 2 MB).")
    Path text;

    @Option(names = "--repeats", defaultValue = "10", description = "Timed repetitions (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        String corpus;
        String description;
        if (text != null) {
            corpus = Files.readString(text, StandardCharsets.UTF_8);
            description = text.getFileName().toString();
        } else {
            Path home = DemoModels.folder().getParent().getParent();
            String base = Files.readString(home.resolve("README.md")) + Files.readString(home.resolve("models/demo/README.md"));
            corpus = base.repeat(Math.max(1, 2_000_000 / base.length()));
            description = "README.md and models/demo/README.md repeated";
        }
        return TokenizerBenchmark.markdown(TokenizerBenchmark.run(corpus, repeats), description);
    }
}
