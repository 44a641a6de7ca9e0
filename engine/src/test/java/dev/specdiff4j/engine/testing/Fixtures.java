package dev.specdiff4j.engine.testing;

import dev.specdiff4j.engine.io.SafetensorsFile;
import dev.specdiff4j.json.Json;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The reference fixtures written by {@code weights-tools/python/fixtures.py}: small random-weight
 * checkpoints in the real HF layouts with the logits PyTorch computed for them.
 */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path folder(String name) {
        try {
            var url = Fixtures.class.getClassLoader().getResource("fixtures/" + name + "/config.json");
            if (url == null) throw new IllegalStateException("fixture " + name + " is missing");
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
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
