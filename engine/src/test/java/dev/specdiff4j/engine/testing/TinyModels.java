package dev.specdiff4j.engine.testing;

import dev.specdiff4j.tokenizer.BpeTrainer;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Fixture checkpoints made runnable end to end: copied to a folder with a small trained tokenizer of their vocabulary size. */
public final class TinyModels {
    private TinyModels() {
    }

    /** A copy of a fixture folder with a 300-token byte-level BPE tokenizer beside it. */
    public static Path withTokenizer(String fixture, Path dir) throws IOException {
        Path folder = dir.resolve(fixture);
        Files.createDirectories(folder);
        Path src = Fixtures.folder(fixture);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(src.resolve(f), folder.resolve(f));
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 50; i++) docs.add("The quick brown fox jumps over the lazy dog " + i + " times, doesn't it?");
        HfTokenizerWriter.write(new BpeTrainer(BpeTrainer.Options.gpt2Style(300), null).train(docs), folder.resolve("tokenizer.json"));
        return folder;
    }
}
