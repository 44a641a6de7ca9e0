package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** convert never deletes what it did not write, and a crash at any step of replacing an output loses nothing. */
class ConvertOutputSafetyTest {

    /** Stands for the process being killed: an Error, so no clean-up code of the converter runs. */
    private static final class Killed extends Error {
        Killed(OutputPlacement.Step step) {
            super("killed after " + step);
        }
    }

    private static Converter.Options options(Converter.Format to, DType dtype, boolean force) {
        return new Converter.Options(to, dtype, force, null);
    }

    private static void convert(Path in, Path out, Converter.Options options, Path workingFolder, OutputPlacement.Faults faults)
            throws IOException {
        Converter.convert(in, out, options, workingFolder, faults);
    }

    /** Every file under a folder (or the file itself) with its bytes. */
    private static Map<String, byte[]> snapshot(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        if (Files.isRegularFile(root)) {
            files.put("", Files.readAllBytes(root));
            return files;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) files.put(root.relativize(p).toString(), Files.readAllBytes(p));
        }
        return files;
    }

    private static void assertSameFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((name, bytes) -> assertThat(actual.get(name)).as(name).isEqualTo(bytes));
    }

    @Test
    void forceRefusesAFolderHoldingFilesConvertDidNotWrite(@TempDir Path dir) throws IOException {
        Path hf = TinyModels.withTokenizer("gpt2-tiny", dir.resolve("in"));
        Path out = dir.resolve("out");
        convert(hf, out, options(Converter.Format.SAFETENSORS, null, false), dir, OutputPlacement.Faults.NONE);
        Files.writeString(out.resolve("README.md"), "my notes");
        Files.createDirectories(out.resolve("eval"));
        Files.writeString(out.resolve("eval/results.txt"), "precious");
        Map<String, byte[]> before = snapshot(out);

        assertThatThrownBy(() -> convert(hf, out, options(Converter.Format.SAFETENSORS, DType.F16, true), dir, OutputPlacement.Faults.NONE))
                .isInstanceOf(ConversionException.class)
                .hasMessageContaining("holds files that convert does not write (README.md, eval)");
        assertSameFiles(snapshot(out), before);

        Path file = dir.resolve("a-file");
        Files.writeString(file, "not a model");
        assertThatThrownBy(() -> convert(hf, file, options(Converter.Format.SAFETENSORS, null, true), dir, OutputPlacement.Faults.NONE))
                .hasMessageContaining("is a file, and --to safetensors writes a folder");
        assertThatThrownBy(() -> convert(hf, out, options(Converter.Format.GGUF, null, true), dir, OutputPlacement.Faults.NONE))
                .hasMessageContaining("is a folder, and --to gguf writes a file");
        assertThat(Files.readString(file)).isEqualTo("not a model");
        assertSameFiles(snapshot(out), before);
    }

    @Test
    void theWorkingFolderTheInputAndFoldersAboveThemAreRefused(@TempDir Path dir) throws IOException {
        Path work = dir.resolve("work");
        Path hf = TinyModels.withTokenizer("gpt2-tiny", work.resolve("models"));
        Files.writeString(work.resolve("README.md"), "unrelated");
        Map<String, byte[]> before = snapshot(dir);
        for (String out : List.of(".", "..", "models", "models/gpt2-tiny", "models/gpt2-tiny/..")) {
            for (Converter.Format to : Converter.Format.values()) {
                assertThatThrownBy(() -> convert(hf, Path.of(out), options(to, null, true), work, OutputPlacement.Faults.NONE))
                        .as(out + " " + to).isInstanceOf(ConversionException.class)
                        .hasMessageContaining("OUT '" + out + "'").hasMessageContaining("give the name of a new");
            }
        }
        assertSameFiles(snapshot(dir), before);
    }

    @Test
    void aMissingOutputFolderIsNamedAsTheUserGaveIt(@TempDir Path dir) throws IOException {
        Path hf = TinyModels.withTokenizer("gpt2-tiny", dir);
        Path out = dir.resolve("missing/model.gguf");
        assertThatThrownBy(() -> convert(hf, out, options(Converter.Format.GGUF, null, false), dir, OutputPlacement.Faults.NONE))
                .hasMessage("cannot write " + out + ": the folder " + dir.resolve("missing") + " does not exist");
    }

    @Test
    void aCrashAtAnyStepOfReplacingAFolderLosesNeitherOutput(@TempDir Path dir) throws IOException {
        Path hf = TinyModels.withTokenizer("gpt2-tiny", dir.resolve("in"));
        for (OutputPlacement.Step step : OutputPlacement.Step.values()) {
            Path parent = dir.resolve(step.name());
            Files.createDirectories(parent);
            Files.writeString(parent.resolve("notes.txt"), "unrelated");
            Path out = parent.resolve("model");
            convert(hf, out, options(Converter.Format.SAFETENSORS, DType.F32, false), dir, OutputPlacement.Faults.NONE);
            Map<String, byte[]> old = snapshot(out);

            assertThatThrownBy(() -> convert(hf, out, options(Converter.Format.SAFETENSORS, DType.F16, true), dir, crashAfter(step)))
                    .isInstanceOf(Killed.class);
            if (Files.exists(out)) assertOldOrCompleteNewFolder(out, old, step);
            else assertSameFiles(snapshot(parent.resolve(".model.replaced")), old); // killed between the two renames

            List<String> notes = new ArrayList<>();
            OutputPlacement.prepare(hf, out, true, true, dir, noting(notes), OutputPlacement.Faults.NONE);
            assertOldOrCompleteNewFolder(out, old, step);
            assertThat(leftovers(parent)).as(step.name()).isEmpty();
            if (step != OutputPlacement.Step.NEW_IN_PLACE) assertThat(notes).as(step.name()).isNotEmpty();

            convert(hf, out, options(Converter.Format.SAFETENSORS, DType.F16, true), dir, OutputPlacement.Faults.NONE);
            assertNewFolder(out);
            assertThat(leftovers(parent)).isEmpty();
            assertThat(Files.readString(parent.resolve("notes.txt"))).isEqualTo("unrelated");
        }
    }

    @Test
    void aCrashAtAnyStepOfReplacingAGgufFileLosesNeitherOutput(@TempDir Path dir) throws IOException {
        Path hf = TinyModels.withTokenizer("gpt2-tiny", dir.resolve("in"));
        for (OutputPlacement.Step step : List.of(OutputPlacement.Step.NEW_COMPLETE, OutputPlacement.Step.NEW_IN_PLACE)) {
            Path parent = dir.resolve(step.name());
            Files.createDirectories(parent);
            Files.writeString(parent.resolve("notes.txt"), "unrelated");
            Path out = parent.resolve("model.gguf");
            convert(hf, out, options(Converter.Format.GGUF, DType.F32, false), dir, OutputPlacement.Faults.NONE);
            byte[] old = Files.readAllBytes(out);

            assertThatThrownBy(() -> convert(hf, out, options(Converter.Format.GGUF, DType.Q8_0, true), dir, crashAfter(step)))
                    .isInstanceOf(Killed.class);
            if (step == OutputPlacement.Step.NEW_COMPLETE) assertThat(Files.readAllBytes(out)).isEqualTo(old);
            else assertGgufOfType(out, "Q8_0");

            List<String> notes = new ArrayList<>();
            OutputPlacement.prepare(hf, out, false, true, dir, noting(notes), OutputPlacement.Faults.NONE);
            assertThat(leftovers(parent)).isEmpty();
            assertThat(notes).hasSize(step == OutputPlacement.Step.NEW_COMPLETE ? 1 : 0);
            convert(hf, out, options(Converter.Format.GGUF, DType.Q8_0, true), dir, OutputPlacement.Faults.NONE);
            assertGgufOfType(out, "Q8_0");
            assertThat(Files.readString(parent.resolve("notes.txt"))).isEqualTo("unrelated");
        }
    }

    private static OutputPlacement.Faults crashAfter(OutputPlacement.Step step) {
        return s -> {
            if (s == step) throw new Killed(s);
        };
    }

    private static ConversionProgress noting(List<String> notes) {
        return new ConversionProgress() {
            @Override
            public void update(long bytesDone, long bytesTotal, String tensor) {
            }

            @Override
            public void note(String message) {
                notes.add(message);
            }
        };
    }

    private static List<String> leftovers(Path parent) throws IOException {
        try (Stream<Path> entries = Files.list(parent)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    private static void assertOldOrCompleteNewFolder(Path out, Map<String, byte[]> old, OutputPlacement.Step step) throws IOException {
        if (step == OutputPlacement.Step.NEW_IN_PLACE) assertNewFolder(out);
        else assertSameFiles(snapshot(out), old);
    }

    private static void assertNewFolder(Path out) throws IOException {
        assertThat(snapshot(out).keySet()).containsExactlyInAnyOrder("config.json", "model.safetensors", "tokenizer.json");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(out)) {
            assertThat(c.tensor("transformer.h.0.attn.c_attn.weight").dtype()).isEqualTo(DType.F16);
        }
    }

    private static void assertGgufOfType(Path out, String type) throws IOException {
        try (GgufFile g = GgufFile.open(out)) {
            assertThat(g.tensorInfos().get("blk.0.attn_qkv.weight").type().name()).isEqualTo(type);
        }
    }
}
