package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real kill, not a simulated one: {@code convert --force} replacing a folder runs in a JVM of its own that halts
 * (no finally block, no shutdown hook runs) while it writes the new output and after each step of the replacement.
 * The old output always survives whole (or the new one is already complete in its place), and the next run clears
 * what the killed one left and says so.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConvertKilledProcessTest {
    /** Where the child JVM halts: while writing the new output, or after a step of putting it in place. */
    private static final List<String> KILL_POINTS = List.of("WRITING", "NEW_COMPLETE", "OLD_SET_ASIDE", "NEW_IN_PLACE");

    /** The child: converts IN to OUT (safetensors, F16, --force) and halts the JVM at the kill point given. */
    public static final class KilledConvert {
        public static void main(String[] args) throws IOException {
            Path in = Path.of(args[0]);
            Path out = Path.of(args[1]);
            String point = args[2];
            ConversionProgress progress = (done, total, tensor) -> {
                if (point.equals("WRITING") && done > 0 && done < total) Runtime.getRuntime().halt(137);
            };
            Converter.convert(in, out, new Converter.Options(Converter.Format.SAFETENSORS, DType.F16, true, progress), Path.of(args[3]),
                    step -> {
                        if (step.name().equals(point)) Runtime.getRuntime().halt(137);
                    });
            System.exit(0); // not killed: the test fails on the exit code
        }
    }

    private static int runKilled(Path in, Path out, String point, Path workingFolder) throws Exception {
        List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), KilledConvert.class.getName(), in.toString(), out.toString(), point,
                workingFolder.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        assertThat(code).as(point + ": " + output).isEqualTo(137);
        return code;
    }

    private static Map<String, byte[]> snapshot(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) files.put(root.relativize(p).toString(), Files.readAllBytes(p));
        }
        return files;
    }

    private static void assertSame(Map<String, byte[]> actual, Map<String, byte[]> expected, String what) {
        assertThat(actual.keySet()).as(what).isEqualTo(expected.keySet());
        expected.forEach((name, bytes) -> assertThat(actual.get(name)).as(what + ": " + name).isEqualTo(bytes));
    }

    private static DType matrixType(Path folder) throws IOException {
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(folder)) {
            return c.tensor("transformer.h.0.attn.c_attn.weight").dtype();
        }
    }

    private static List<String> hidden(Path parent) throws IOException {
        try (Stream<Path> entries = Files.list(parent)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    @Test
    void aConvertKilledAtAnyPointOfReplacingAFolderLosesNeitherOutput(@TempDir Path dir) throws Exception {
        Path hf = TinyModels.withTokenizer("gpt2-tiny", dir.resolve("in"));
        for (String point : KILL_POINTS) {
            Path parent = Files.createDirectories(dir.resolve(point));
            Files.writeString(parent.resolve("notes.txt"), "unrelated");
            Path out = parent.resolve("model");
            Converter.convert(hf, out, new Converter.Options(Converter.Format.SAFETENSORS, DType.F32, false, null), dir,
                    OutputPlacement.Faults.NONE);
            Map<String, byte[]> old = snapshot(out);

            runKilled(hf, out, point, dir);

            // what the kill left: the old folder whole, or (killed after the swap) the new one complete
            if (point.equals("NEW_IN_PLACE")) assertThat(matrixType(out)).as(point).isEqualTo(DType.F16);
            else if (Files.exists(out)) assertSame(snapshot(out), old, point);
            else assertSame(snapshot(parent.resolve(".model.replaced")), old, point + ": the old folder, set aside");
            if (!point.equals("NEW_IN_PLACE")) assertThat(hidden(parent)).as(point + ": leftovers of the killed run").isNotEmpty();

            // the next run clears the leftovers, says so, and replaces the output
            List<String> notes = new ArrayList<>();
            ConversionProgress noting = new ConversionProgress() {
                @Override
                public void update(long bytesDone, long bytesTotal, String tensor) {
                }

                @Override
                public void note(String message) {
                    notes.add(message);
                }
            };
            Converter.convert(hf, out, new Converter.Options(Converter.Format.SAFETENSORS, DType.F16, true, noting), dir,
                    OutputPlacement.Faults.NONE);
            assertThat(matrixType(out)).isEqualTo(DType.F16);
            assertThat(hidden(parent)).as(point + ": leftovers after the next run").isEmpty();
            if (!point.equals("NEW_IN_PLACE")) assertThat(notes).as(point + ": the next run says what it cleared").isNotEmpty();
            assertThat(Files.readString(parent.resolve("notes.txt"))).isEqualTo("unrelated");
        }
    }
}
