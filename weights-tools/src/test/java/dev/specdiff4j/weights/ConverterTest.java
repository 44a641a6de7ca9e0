package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConverterTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);

    @AfterAll
    static void close() {
        KERNELS.close();
    }

    static Path gpt2WithTokenizer(Path dir) throws IOException {
        return dev.specdiff4j.engine.testing.TinyModels.withTokenizer("gpt2-tiny", dir);
    }

    private static void assertSameTensors(TensorSource a, String aName, TensorSource b, String bName, boolean transposed) {
        Tensor x = a.tensor(aName);
        Tensor y = b.tensor(bName);
        float[] xs = x.toFloatArray();
        float[] ys = y.toFloatArray();
        if (transposed) {
            int rows = x.rows();
            int cols = x.cols();
            assertThat(y.shape()).containsExactly(cols, rows);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    if (Float.floatToRawIntBits(xs[r * cols + c]) != Float.floatToRawIntBits(ys[c * rows + r])) {
                        throw new AssertionError(aName + " differs at [" + r + ", " + c + "]");
                    }
                }
            }
        } else {
            assertThat(y.shape()).as(bName).containsExactly(x.shape());
            for (int i = 0; i < xs.length; i++) {
                if (Float.floatToRawIntBits(xs[i]) != Float.floatToRawIntBits(ys[i])) throw new AssertionError(aName + " differs at " + i);
            }
        }
    }

    @Test
    void hfToGgufToHfIsBitExactInF32(@TempDir Path dir) throws IOException {
        Path hf = gpt2WithTokenizer(dir);
        Path gguf = dir.resolve("model.gguf");
        Path back = dir.resolve("back");
        Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, DType.F32, false, null));
        Converter.convert(gguf, back, new Converter.Options(Converter.Format.SAFETENSORS, null, false, null));
        try (SafetensorsCheckpoint original = SafetensorsCheckpoint.open(hf); GgufFile g = GgufFile.open(gguf);
             SafetensorsCheckpoint roundTrip = SafetensorsCheckpoint.open(back)) {
            for (Gpt2Layout.Entry e : Gpt2Layout.entries(2)) {
                assertSameTensors(original, "transformer." + e.hf(), g, e.gguf(), e.kind() == Gpt2Layout.Kind.CONV1D);
                assertSameTensors(original, "transformer." + e.hf(), roundTrip, "transformer." + e.hf(), false);
            }
            assertSameTensors(original, "transformer.wte.weight", g, "output.weight", false);
            assertThat(g.string("general.architecture")).isEqualTo("gpt2");
            assertThat(g.integer("gpt2.block_count")).isEqualTo(2);
            assertThat(g.string("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat(g.string("tokenizer.ggml.pre")).isEqualTo("gpt-2");
            assertThat((List<?>) g.metadata().get("tokenizer.ggml.tokens")).hasSize(300);
            assertThat(g.integer("general.file_type")).isZero();
        }
        assertThat(back.resolve("tokenizer.json")).exists();
        assertThat(back.resolve("config.json")).exists();
    }

    @Test
    void allThreeFormsComputeTheSameLogits(@TempDir Path dir) throws IOException {
        Path hf = gpt2WithTokenizer(dir);
        Path gguf = dir.resolve("model.gguf");
        Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, null, false, null));
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 a = Gpt2.load(hf, new LoadOptions(null, KERNELS)); Gpt2 b = Gpt2.load(gguf, new LoadOptions(null, KERNELS));
             var sa = a.newSession(); var sb = b.newSession()) {
            float[][] la = sa.forward(tokens);
            float[][] lb = sb.forward(tokens);
            for (int t = 0; t < tokens.length; t++) assertThat(lb[t]).containsExactly(la[t]);
        }
    }

    @Test
    void quantizedGgufHoldsQ8BlocksAndRunsCloseToF32(@TempDir Path dir) throws IOException {
        Path hf = gpt2WithTokenizer(dir);
        Path gguf = dir.resolve("q8.gguf");
        Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, DType.Q8_0, false, null));
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.tensorInfos().get("blk.0.attn_qkv.weight").type().name()).isEqualTo("Q8_0");
            assertThat(g.tensorInfos().get("blk.0.attn_qkv.bias").type().name()).isEqualTo("F32");
            assertThat(g.integer("general.file_type")).isEqualTo(7);
            assertThat(g.integer("general.quantization_version")).isEqualTo(2);
        }
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        float[][] want = Fixtures.logits("gpt2-tiny");
        try (Gpt2 q = Gpt2.load(gguf, new LoadOptions(null, KERNELS)); var s = q.newSession()) {
            float[][] got = s.forward(tokens);
            for (int t = 0; t < tokens.length; t++) assertThat(Fixtures.relativeError(got[t], want[t])).isLessThan(5e-2);
        }
    }

    @Test
    void mdlmChangesDtypeButRefusesGguf(@TempDir Path dir) throws IOException {
        Path mdlm = Fixtures.folder("mdlm-tiny");
        assertThatThrownBy(() -> Converter.convert(mdlm, dir.resolve("x.gguf"), new Converter.Options(Converter.Format.GGUF, null, false, null)))
                .hasMessageContaining("GGUF has no MDLM architecture");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
        Path f16 = dir.resolve("mdlm-f16");
        Converter.convert(mdlm, f16, new Converter.Options(Converter.Format.SAFETENSORS, DType.F16, false, null));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(f16)) {
            assertThat(c.tensor("backbone.blocks.0.attn_qkv.weight").dtype()).isEqualTo(DType.F16);
        }
        int[] ids = Fixtures.ints(Fixtures.expected("mdlm-tiny"), "tokens");
        float[][] want = Fixtures.logits("mdlm-tiny");
        try (MaskedDiffusionLm m = MaskedDiffusionLm.load(f16, new LoadOptions(null, KERNELS))) {
            float[][] got = m.forward(ids, 0, ids.length);
            for (int t = 0; t < ids.length; t++) assertThat(Fixtures.relativeError(got[t], want[t])).isLessThan(1e-2);
        }
        assertThatThrownBy(() -> Converter.convert(mdlm, dir.resolve("q"), new Converter.Options(Converter.Format.SAFETENSORS, DType.Q8_0, false, null)))
                .hasMessageContaining("safetensors has no Q8_0");
    }

    @Test
    void badInputIsAClearErrorAndNothingIsHalfWritten(@TempDir Path dir) throws IOException {
        Path hf = gpt2WithTokenizer(dir);
        Path existing = dir.resolve("exists.gguf");
        Files.writeString(existing, "precious");
        assertThatThrownBy(() -> Converter.convert(hf, existing, new Converter.Options(Converter.Format.GGUF, null, false, null)))
                .hasMessageContaining("exists (use --force");
        assertThat(Files.readString(existing)).isEqualTo("precious");
        Converter.convert(hf, existing, new Converter.Options(Converter.Format.GGUF, null, true, null));
        assertThat(Files.size(existing)).isGreaterThan(1000);

        // a missing tensor
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(hf.resolve("config.json"), broken.resolve("config.json"));
        Files.copy(hf.resolve("tokenizer.json"), broken.resolve("tokenizer.json"));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(hf)) {
            List<dev.specdiff4j.engine.io.TensorWriteSource> keep = new ArrayList<>();
            for (String name : c.names()) {
                if (name.equals("transformer.h.1.mlp.c_fc.weight")) continue;
                Tensor t = c.tensor(name);
                keep.add(new dev.specdiff4j.engine.io.TensorWriteSource(name, t.dtype(), t.shape(),
                        o -> o.write(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
            }
            dev.specdiff4j.engine.io.SafetensorsWriter.write(broken.resolve("model.safetensors"), false, java.util.Map.of(), keep);
        }
        assertThatThrownBy(() -> Converter.convert(broken, dir.resolve("b.gguf"), new Converter.Options(Converter.Format.GGUF, null, false, null)))
                .hasMessageContaining("transformer.h.1.mlp.c_fc.weight").hasMessageContaining("missing");
        assertThat(dir.resolve("b.gguf")).doesNotExist();

        // an unknown architecture
        Path unknown = dir.resolve("unknown");
        Files.createDirectories(unknown);
        Files.writeString(unknown.resolve("config.json"), "{\"model_type\": \"llama\"}");
        Files.copy(Fixtures.folder("gpt2-tiny").resolve("model.safetensors"), unknown.resolve("model.safetensors"));
        Files.writeString(unknown.resolve("config.json"), "{\"model_type\": \"bert\"}");
        Path renamed = dir.resolve("renamed");
        Files.createDirectories(renamed);
        Files.writeString(renamed.resolve("config.json"), "{\"model_type\": \"bert\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(Fixtures.folder("gpt2-tiny"))) {
            Tensor t = c.tensor("transformer.ln_f.weight");
            dev.specdiff4j.engine.io.SafetensorsWriter.write(renamed.resolve("model.safetensors"), false, java.util.Map.of(),
                    List.of(new dev.specdiff4j.engine.io.TensorWriteSource("encoder.layer.0.weight", t.dtype(), t.shape(),
                            o -> o.write(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))));
        }
        assertThatThrownBy(() -> Converter.convert(renamed, dir.resolve("r.gguf"), new Converter.Options(Converter.Format.GGUF, null, false, null)))
                .hasMessage("model_type 'bert' is not supported; this build runs gpt2, llama, mistral, qwen2, qwen3 and phi3 (targets and AR drafters), "
                        + "mdlm (diffusion drafter) and block_drafter (target-conditioned drafter)");

        // rows that are not whole Q8_0 blocks
        Path awkward = dir.resolve("awkward");
        Files.createDirectories(awkward);
        Path src = Fixtures.folder("gpt2-awkward");
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(src.resolve(f), awkward.resolve(f));
        Files.copy(hf.resolve("tokenizer.json"), awkward.resolve("tokenizer.json"));
        assertThatThrownBy(() -> Converter.convert(awkward, dir.resolve("a.gguf"), new Converter.Options(Converter.Format.GGUF, DType.Q8_0, false, null)))
                .isInstanceOf(RuntimeException.class);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains("partial") || n.equals("a.gguf") || n.equals("r.gguf")))
                    .as("no half-written output").isEmpty();
        }
    }

    @Test
    void progressIsReported(@TempDir Path dir) throws IOException {
        Path hf = gpt2WithTokenizer(dir);
        List<long[]> updates = new ArrayList<>();
        Converter.convert(hf, dir.resolve("p.gguf"), new Converter.Options(Converter.Format.GGUF, DType.F16, false,
                (done, total, tensor) -> updates.add(new long[] {done, total})));
        assertThat(updates).hasSize(2 + 1 + 12 * 2 + 2);
        assertThat(updates.getLast()[0]).isEqualTo(updates.getLast()[1]);
    }
}
