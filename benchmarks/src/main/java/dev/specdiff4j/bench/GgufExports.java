package dev.specdiff4j.bench;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.weights.Converter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/** The GGUF files llama.cpp reads in the benchmarks, made from our models with {@link Converter}. */
public final class GgufExports {
    private GgufExports() {
    }

    /**
     * The F16 GGUF export of a model folder, for llama.cpp: a build product, so it goes to {@code target/bench-work}, not next
     * to the results, and is made again when anything in the folder is newer. A GGUF file is returned as it is.
     */
    public static Path f16(Path model) throws IOException {
        if (Files.isRegularFile(model)) return model;
        Path gguf = Path.of("target", "bench-work", "llama-" + Integer.toHexString(model.toAbsolutePath().normalize().hashCode()) + "-f16.gguf");
        Files.createDirectories(gguf.getParent());
        if (!Files.exists(gguf) || Files.getLastModifiedTime(gguf).compareTo(newestFile(model)) < 0) {
            Converter.convert(model, gguf, new Converter.Options(Converter.Format.GGUF, DType.F16, true, null));
        }
        return gguf;
    }

    private static FileTime newestFile(Path path) throws IOException {
        if (!Files.isDirectory(path)) return Files.getLastModifiedTime(path);
        try (var files = Files.list(path)) {
            FileTime newest = FileTime.fromMillis(0);
            for (Path f : files.toList()) {
                FileTime t = Files.getLastModifiedTime(f);
                if (t.compareTo(newest) > 0) newest = t;
            }
            return newest;
        }
    }
}
