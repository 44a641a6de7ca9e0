package dev.specdiff4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Benchmark prompts: the bundled held-out set, or a file (one prompt per line; '#' lines are comments). */
public final class PromptSet {
    private PromptSet() {
    }

    public static List<String> bundled() throws IOException {
        try (InputStream in = PromptSet.class.getResourceAsStream("heldout-prompts.txt")) {
            if (in == null) throw new IOException("the bundled prompt set is missing from the jar");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    public static List<String> file(Path path) throws IOException {
        List<String> prompts = parse(Files.readString(path, StandardCharsets.UTF_8));
        if (prompts.isEmpty()) throw new IOException(path + " holds no prompts");
        return prompts;
    }

    private static List<String> parse(String text) {
        return Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
