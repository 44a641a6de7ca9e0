package dev.specdiff4j.cli;

import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.BpeTrainer;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;
import dev.specdiff4j.tokenizer.PreTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "train-tokenizer", mixinStandardHelpOptions = true,
        description = {"Learn a byte-level BPE vocabulary from text files and write it as an HF tokenizer.json.",
            "Each file is split into documents at the separator (default: <|endoftext|> on its own line)."})
final class TrainTokenizerCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files to learn from.")
    List<Path> files;

    @Option(names = "--vocab-size", required = true, description = "Total vocabulary size: 256 bytes + merges + special tokens.")
    int vocabSize;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The tokenizer.json to write.")
    Path out;

    @Option(names = "--pattern", defaultValue = "gpt2", description = "Pre-tokenizer pattern: gpt2, llama3 or qwen2 (default ${DEFAULT-VALUE}).")
    String pattern;

    @Option(names = "--special", description = "Special tokens to add after the merges (default: <|endoftext|>).")
    List<String> specials;

    @Option(names = "--separator", defaultValue = "<|endoftext|>", description = "Line that separates documents (default ${DEFAULT-VALUE}).")
    String separator;

    @Option(names = "--min-frequency", defaultValue = "2", description = "Never merge pairs seen fewer times (default ${DEFAULT-VALUE}).")
    int minFrequency;

    @Option(names = "--force", description = "Overwrite the output file if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out) && !force) throw new IllegalArgumentException(out + " exists (use --force to overwrite it)");
        List<String> documents = new ArrayList<>();
        long bytes = 0;
        for (Path file : files) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            bytes += text.length();
            for (String doc : text.split("\n" + java.util.regex.Pattern.quote(separator) + "\n", -1)) {
                if (!doc.isEmpty()) documents.add(doc);
            }
        }
        List<String> special = specials == null ? List.of("<|endoftext|>") : specials;
        BpeTrainer.Options options = new BpeTrainer.Options(vocabSize, special, PreTokenizer.named(pattern), minFrequency);
        System.err.printf("training a %d-token vocabulary on %d documents (%.1f MB)%n", vocabSize, documents.size(), bytes / 1e6);
        long start = System.nanoTime();
        Progress progress = new Progress("merges", System.err);
        BpeTokenizer tokenizer = new BpeTrainer(options, progress::update).train(documents);
        progress.done();
        HfTokenizerWriter.write(tokenizer, out);
        System.err.printf("wrote %s: %d tokens in %.1f s%n", out, tokenizer.vocabSize(), (System.nanoTime() - start) / 1e9);
        if (tokenizer.vocabSize() < vocabSize) {
            System.err.printf("note: the corpus supports only %d tokens with --min-frequency %d%n", tokenizer.vocabSize(), minFrequency);
        }
        return 0;
    }
}
