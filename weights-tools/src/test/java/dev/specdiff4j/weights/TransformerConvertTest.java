package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.BpeTrainer;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code convert} of the Llama-layout families: an HF folder written as GGUF loads back to the same logits (bit for bit in
 * F32; the llama q/k rows permuted on the way out and unpermuted by the loader), GGUF → GGUF re-encodes the matrices exactly
 * as quantizing at load does, and what cannot be written is refused with a message. llama.cpp's side is
 * {@code LlamaConvertAgreementTest} (benchmarks).
 */
class TransformerConvertTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    static final int[] PROMPT = {1, 50, 99, 7, 7, 120, 3, 64};
    static final int VOCAB = 300;

    @AfterAll
    static void close() {
        KERNELS.close();
    }

    /** An HF folder of random weights with a 300-token byte-level BPE tokenizer; {@code config} entries added to config.json. */
    static Path hfFolder(RandomTransformers.Shape shape, Path folder, Map<String, Object> config) throws IOException {
        RandomTransformers.of(shape, 23).writeHf(folder);
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 50; i++) docs.add("The quick brown fox jumps over the lazy dog " + i + " times, doesn't it?");
        HfTokenizerWriter.write(new BpeTrainer(BpeTrainer.Options.gpt2Style(VOCAB), null).train(docs), folder.resolve("tokenizer.json"));
        if (!config.isEmpty()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(folder.resolve("config.json"))));
            c.putAll(config);
            Files.writeString(folder.resolve("config.json"), Json.writePretty(c) + "\n", StandardCharsets.UTF_8);
        }
        return folder;
    }

    static Map<String, Object> llama3Scaling() {
        return Map.of("rope_scaling", Map.of("rope_type", "llama3", "factor", 32.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
                "original_max_position_embeddings", 64));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void anHfFolderWrittenAsGgufGivesTheSameLogitsBitForBit(String family, @TempDir Path dir) throws IOException {
        Path hf = hfFolder(RandomTransformers.Shape.tiny(family, VOCAB), dir.resolve("hf"), Map.of());
        Path gguf = dir.resolve("model.gguf");
        Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, null, false, null));
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.string("general.architecture")).isEqualTo(family);
            assertThat(g.string("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat((List<?>) g.metadata().get("tokenizer.ggml.tokens")).hasSize(VOCAB);
            assertThat(g.find("rope_freqs.weight")).isEmpty();
            assertThat(g.find("output.weight").isPresent()).isEqualTo(family.equals("llama"));
        }
        assertSameLogits(hf, gguf, null, 0);
    }

    @Test
    void llama3RopeScalingBecomesRopeFreqs(@TempDir Path dir) throws IOException {
        Path hf = hfFolder(RandomTransformers.Shape.tiny("llama", VOCAB), dir.resolve("hf"), llama3Scaling());
        Path gguf = dir.resolve("model.gguf");
        Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, "f32", false, null));
        try (GgufFile g = GgufFile.open(gguf)) {
            float[] factors = g.tensor("rope_freqs.weight").toFloatArray();
            assertThat(factors).hasSize(8);
            assertThat(factors[0]).isEqualTo(1f); // the highest frequency is kept
            assertThat(factors[7]).isEqualTo(32f); // the lowest divided by the factor
        }
        // the factors are stored as float32 (as llama.cpp's converter does), so the frequencies differ in the last bits
        assertSameLogits(hf, gguf, null, 1e-5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "llama"})
    void yarnBecomesLlamaCppsYarnMetadata(String family, @TempDir Path dir) throws IOException {
        Path hf = hfFolder(RandomTransformers.Shape.tiny(family, VOCAB), dir.resolve("hf"),
                Map.of("rope_scaling", Map.of("type", "yarn", "factor", 4.0, "original_max_position_embeddings", 64, "attention_factor", 1.25)));
        Path gguf = dir.resolve("model.gguf");
        Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, null, false, null));
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.string(family + ".rope.scaling.type")).isEqualTo("yarn");
            assertThat(g.number(family + ".rope.scaling.factor")).isEqualTo(4.0);
            assertThat(g.integer(family + ".rope.scaling.original_context_length")).isEqualTo(64);
            // llama.cpp multiplies its own 0.1·ln(4) + 1 by this
            assertThat(g.number(family + ".rope.scaling.attn_factor")).isCloseTo(1.25 / (0.1 * Math.log(4) + 1), org.assertj.core.data.Offset.offset(1e-7));
            assertThat(g.find("rope_freqs.weight")).isEmpty();
        }
        assertSameLogits(hf, gguf, null, 1e-6);
    }

    @Test
    void phi3KeepsItsFusedMatricesUnderLlamaCppsNames(@TempDir Path dir) throws IOException {
        Path hf = Files.createDirectories(dir.resolve("phi3"));
        Path fixture = dev.specdiff4j.engine.testing.Fixtures.folder("phi3-tiny");
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(fixture.resolve(f), hf.resolve(f));
        hfFolder(RandomTransformers.Shape.tiny("llama", VOCAB), dir.resolve("donor"), Map.of());
        Files.copy(dir.resolve("donor/tokenizer.json"), hf.resolve("tokenizer.json"));
        Path gguf = dir.resolve("phi3.gguf");
        Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, null, false, null));
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.string("general.architecture")).isEqualTo("phi3");
            assertThat(g.names()).contains("blk.1.attn_qkv.weight", "blk.1.ffn_up.weight", "output.weight").doesNotContain("blk.1.ffn_gate.weight");
            assertThat(g.integer("phi3.attention.sliding_window")).isEqualTo(2047);
        }
        assertSameLogits(hf, gguf, null, 0);
    }

    @Test
    void mistralIsWrittenAsLlamaWithItsContextCappedAtTheWindow(@TempDir Path dir) throws IOException {
        Path hf = hfFolder(RandomTransformers.Shape.tiny("llama", VOCAB), dir.resolve("hf"), Map.of("model_type", "mistral",
                "architectures", List.of("MistralForCausalLM"), "sliding_window", 128));
        Path gguf = dir.resolve("model.gguf");
        Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, null, false, null));
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.string("general.architecture")).isEqualTo("llama");
            assertThat(g.integer("llama.context_length")).isEqualTo(128);
        }
        assertSameLogits(hf, gguf, null, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void quantizingWhileConvertingEqualsQuantizingAtLoad(String family, @TempDir Path dir) throws IOException {
        Path hf = hfFolder(RandomTransformers.Shape.tiny(family, VOCAB), dir.resolve("hf"), Map.of());
        Path f32 = dir.resolve("f32.gguf");
        Path q8 = dir.resolve("q8.gguf");
        Path requantized = dir.resolve("requantized.gguf");
        Converter.convert(hf, f32, Converter.Options.of(Converter.Format.GGUF, "f32", false, null));
        Converter.convert(hf, q8, Converter.Options.of(Converter.Format.GGUF, "q8_0", false, null));
        Converter.convert(f32, requantized, Converter.Options.of(Converter.Format.GGUF, "q8_0", false, null));
        try (GgufFile g = GgufFile.open(requantized); GgufFile source = GgufFile.open(f32)) {
            assertThat(g.tensor("blk.0.attn_q.weight").dtype()).isEqualTo(DType.Q8_0);
            assertThat(g.tensor("blk.0.attn_norm.weight").dtype()).isEqualTo(DType.F32);
            assertThat(g.integer("general.file_type")).isEqualTo(7);
            assertThat(g.metadata().get("tokenizer.ggml.merges")).isEqualTo(source.metadata().get("tokenizer.ggml.merges"));
            assertThat(g.metadata().get(family + ".rope.freq_base")).isEqualTo(source.metadata().get(family + ".rope.freq_base"));
        }
        assertSameLogits(hf, q8, DType.Q8_0, 0);
        assertSameLogits(hf, requantized, DType.Q8_0, 0);
    }

    @Test
    void whatCannotBeWrittenIsRefusedWithAReason(@TempDir Path dir) throws IOException {
        Path hf = hfFolder(RandomTransformers.Shape.tiny("qwen2", VOCAB), dir.resolve("hf"), Map.of());
        assertThatThrownBy(() -> Converter.convert(hf, dir.resolve("q4k.gguf"), Converter.Options.of(Converter.Format.GGUF, "q4_k", false, null)))
                .hasMessageContaining("not whole blocks of 256");
        assertThatThrownBy(() -> Converter.convert(hf, dir.resolve("out"), Converter.Options.of(Converter.Format.SAFETENSORS, null, false, null)))
                .hasMessageContaining("--to gguf");
        Files.delete(hf.resolve("tokenizer.json"));
        assertThatThrownBy(() -> Converter.convert(hf, dir.resolve("none.gguf"), Converter.Options.of(Converter.Format.GGUF, null, false, null)))
                .hasMessageContaining("no tokenizer");
        assertThat(dir.resolve("q4k.gguf")).doesNotExist();
        assertThat(dir.resolve("none.gguf")).doesNotExist();
    }

    /** The logits of the HF folder (quantized to {@code atLoad}, or as stored) and of the GGUF, within {@code relative} of the largest. */
    private static void assertSameLogits(Path hf, Path gguf, DType atLoad, double relative) throws IOException {
        try (Transformer a = TransformerLoader.load(hf, new LoadOptions(atLoad, KERNELS));
             Transformer b = TransformerLoader.load(gguf, new LoadOptions(null, KERNELS));
             var sa = a.newSession(); var sb = b.newSession()) {
            float[][] x = sa.forward(PROMPT);
            float[][] y = sb.forward(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) {
                if (relative == 0) {
                    assertThat(y[t]).as("token %d", t).containsExactly(x[t]);
                } else {
                    float largest = 0;
                    for (float v : x[t]) largest = Math.max(largest, Math.abs(v));
                    for (int v = 0; v < x[t].length; v++) {
                        assertThat((double) Math.abs(y[t][v] - x[t][v])).as("token %d, logit %d", t, v).isLessThanOrEqualTo(relative * largest);
                    }
                }
            }
            assertThat(x[1]).isNotEqualTo(x[2]);
        }
    }
}
