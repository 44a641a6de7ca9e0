package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A generated sweep over valid small files: every truncation, and every byte changed to several
 * values. Each variant must either open (and then every tensor must read without error) or fail with a
 * {@link WeightFileException}; never another exception, an out-of-memory error, a crash or a hang.
 */
@Tag("slow")
class MutationSweepTest {
    @TempDir
    Path dir;

    private static final byte[] REPLACEMENTS = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 1};

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyGgufMutationIsHandled() throws IOException {
        byte[] valid = Files.readAllBytes(WeightFilesTest.writeSmallGguf(dir.resolve("valid.gguf")));
        sweep(valid, "m.gguf", p -> {
            try (GgufFile g = GgufFile.open(p)) {
                readAll(g);
            }
        });
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everySafetensorsMutationIsHandled() throws IOException {
        Path file = dir.resolve("valid.safetensors");
        SafetensorsWriter.write(file, false, Map.of("k", "v"), List.of(
                WeightFilesTest.source(WeightFilesTest.tensor("a", DType.F32, 2, 3, 0)),
                WeightFilesTest.source(WeightFilesTest.tensor("b", DType.F16, 3, 1, 2))));
        byte[] valid = Files.readAllBytes(file);
        sweep(valid, "m.safetensors", p -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                readAll(f);
            }
        });
    }

    private interface Opener {
        void open(Path p) throws IOException;
    }

    private static void readAll(TensorSource source) {
        for (String name : source.names()) {
            try {
                Tensor t = source.tensor(name);
                t.toFloatArray();
            } catch (WeightFileException expected) {
                // e.g. a tensor type changed to one we cannot compute with
            }
        }
    }

    private void sweep(byte[] valid, String name, Opener opener) throws IOException {
        Path p = dir.resolve(name);
        List<String> failures = new ArrayList<>();
        int variants = 0;
        for (int length = 0; length < valid.length; length++) {
            Files.write(p, java.util.Arrays.copyOf(valid, length));
            check(opener, p, "truncated to " + length, failures);
            variants++;
        }
        for (int i = 0; i < valid.length; i++) {
            for (byte r : REPLACEMENTS) {
                if (valid[i] == r) continue;
                byte[] mutated = valid.clone();
                mutated[i] = r;
                Files.write(p, mutated);
                check(opener, p, "byte " + i + " set to " + (r & 0xFF), failures);
                variants++;
            }
        }
        assertThat(variants).isGreaterThan(valid.length * 3);
        assertThat(failures).as("variants that failed badly").isEmpty();
    }

    private static void check(Opener opener, Path p, String what, List<String> failures) {
        try {
            opener.open(p);
        } catch (WeightFileException expected) {
            assertThat(expected.getMessage()).contains(p.toString());
        } catch (Throwable t) {
            if (failures.size() < 10) failures.add(what + ": " + t);
        }
    }
}
