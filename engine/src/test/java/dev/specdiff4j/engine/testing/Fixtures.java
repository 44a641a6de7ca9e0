package dev.specdiff4j.engine.testing;

import dev.specdiff4j.engine.io.SafetensorsFile;
import dev.specdiff4j.json.Json;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference fixtures written by {@code weights-tools/python/fixtures.py}: small random-weight
 * checkpoints in the real HF layouts with the logits PyTorch computed for them.
 */
public final class Fixtures {
    private Fixtures() {
    }

    private static final String[] FILES = {"config.json", "model.safetensors", "expected.json", "expected.safetensors"};
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    /**
     * The fixture's folder; when the fixtures come inside a jar (another module's tests), a copy under the
     * module's {@code target/} folder (never the system temp folder), deleted when the JVM exits.
     */
    public static Path folder(String name) {
        try {
            var url = Fixtures.class.getClassLoader().getResource("fixtures/" + name + "/config.json");
            if (url == null) throw new IllegalStateException("fixture " + name + " is missing");
            if (url.getProtocol().equals("file")) return Path.of(url.toURI()).getParent();
            return EXTRACTED.computeIfAbsent(name, Fixtures::extract);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path extract(String name) {
        try {
            Path target = Files.createDirectories(Path.of("target"));
            Path dir = Files.createTempDirectory(target, "specdiff4j-fixture-" + name);
            List<Path> copied = new ArrayList<>();
            for (String f : FILES) {
                try (var in = Fixtures.class.getClassLoader().getResourceAsStream("fixtures/" + name + "/" + f)) {
                    if (in != null) {
                        Files.copy(in, dir.resolve(f));
                        copied.add(dir.resolve(f));
                    }
                }
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    for (Path p : copied) Files.deleteIfExists(p);
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a file still mapped on some systems; target/ is cleaned by the build anyway
                }
            }));
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The parsed expected.json of a fixture. */
    public static Map<String, Object> expected(String name) throws IOException {
        return Json.parseObject(Files.readString(folder(name).resolve("expected.json"), StandardCharsets.UTF_8));
    }

    public static int[] ints(Map<String, Object> expected, String key) {
        List<?> list = (List<?>) expected.get(key);
        return list.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    /** The expected logits, one row per input position. */
    public static float[][] logits(String name) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(folder(name).resolve("expected.safetensors"))) {
            var t = f.tensor("logits");
            int rows = t.rows();
            int cols = t.cols();
            float[][] out = new float[rows][cols];
            for (int r = 0; r < rows; r++) t.read((long) r * cols, cols, out[r], 0);
            return out;
        }
    }

    /** A tensor of a fixture's expected.safetensors, flattened. */
    public static float[] expectedTensor(String name, String tensor) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(folder(name).resolve("expected.safetensors"))) {
            return f.tensor(tensor).toFloatArray();
        }
    }

    /** max |a − b| / max |b| over a row. */
    public static double relativeError(float[] actual, float[] expected) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxDiff / maxRef;
    }

    public static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
