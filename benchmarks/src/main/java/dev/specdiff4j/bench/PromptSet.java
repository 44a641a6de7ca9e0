package dev.specdiff4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark prompts: a bundled set, or a file (one prompt per line; '#' lines are comments). Two sets are bundled, made
 * from different paragraphs of the same held-out documents: {@code tuning}, on which the main job's defaults are chosen,
 * and {@code heldout}, on which they are reported.
 */
public final class PromptSet {
    private PromptSet() {
    }

    /** The names of the bundled sets. */
    public static final List<String> NAMES = List.of("heldout", "tuning");

    public static List<String> bundled() throws IOException {
        return named("heldout");
    }

    /** A bundled set by name ({@link #NAMES}). */
    public static List<String> named(String name) throws IOException {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown prompt set '" + name + "': the bundled sets are " + NAMES);
        try (InputStream in = PromptSet.class.getResourceAsStream(name + "-prompts.txt")) {
            if (in == null) throw new IOException("the bundled prompt set '" + name + "' is missing from the jar");
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
