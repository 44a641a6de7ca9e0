package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The streamed random GGUF of {@code bench decode --model llama-3.2-1b}, at a small shape whose rows are whole Q4_K blocks. */
class RandomTransformerGgufTest {
    /** 100 tokens: more than one 64-row chunk, and a partial last one. */
    static final RandomTransformers.Shape SHAPE = new RandomTransformers.Shape("llama", 100, 256, 256, 2, 4, 2, 64, 512, 500000, true);

    /** llama.cpp's LLAMA_FTYPE_MOSTLY_F16 / _Q8_0 / _Q4_K_S (llama.h). */
    static final java.util.Map<String, Long> LLAMA_FTYPE = java.util.Map.of("f16", 1L, "q8_0", 7L, "q4_k", 14L);

    @ParameterizedTest
    @ValueSource(strings = {"f16", "q8_0", "q4_k"})
    void writesEveryMatrixInTheDtypeAndTheLoaderRunsIt(String name, @TempDir Path dir) throws IOException {
        DType dtype = DType.parse(name);
        Path file = RandomTransformerGguf.write(dir.resolve("m.gguf"), SHAPE, dtype, vocabulary(dir, SHAPE.vocab()), 5);
        try (GgufFile g = GgufFile.open(file)) {
            assertThat(g.metadata()).containsEntry("general.architecture", "llama").containsEntry("llama.block_count", 2L)
                    .containsEntry("general.file_type", LLAMA_FTYPE.get(name));
            assertThat(g.names()).contains("token_embd.weight", "blk.1.ffn_down.weight", "output_norm.weight").doesNotContain("output.weight");
            Tensor embedding = g.find("token_embd.weight").orElseThrow();
            assertThat(embedding.dtype()).isEqualTo(dtype);
            assertThat(embedding.shape()).containsExactly(100, 256);
            assertThat(g.find("blk.0.ffn_down.weight").orElseThrow().dtype()).isEqualTo(dtype);
            assertThat(g.find("blk.0.attn_norm.weight").orElseThrow().dtype()).isEqualTo(DType.F32);
            float[] e = embedding.toFloatArray();
            // uniform in ±1 (quantization error aside), and the rows of the last, partial chunk are filled too
            assertThat(IntStream.range(0, e.length).mapToDouble(i -> Math.abs(e[i])).max().orElseThrow()).isLessThan(1.1).isGreaterThan(0.9);
            assertThat(IntStream.range(99 * 256, 100 * 256).mapToDouble(i -> Math.abs(e[i])).sum()).isGreaterThan(50);
            float[] norm = g.find("blk.0.attn_norm.weight").orElseThrow().toFloatArray();
            for (float v : norm) assertThat(v).isBetween(0.7f, 1.3f);
        }
        try (VectorKernels kernels = new VectorKernels(2);
             Transformer model = TransformerLoader.load(file, new LoadOptions(null, kernels));
             var session = model.newSession()) {
            assertThat(model.spec().kvHeads()).isEqualTo(2);
            assertThat(model.spec().tiedOutput()).isTrue();
            float[] logits = session.forwardLast(new int[] {1, 2, 99});
            assertThat(logits).hasSize(100);
            for (float v : logits) assertThat(Float.isFinite(v)).isTrue();
        }
    }

    @Test
    void theSameSeedGivesTheSameFileAndAnotherSeedAnother(@TempDir Path dir) throws IOException {
        GgufFile vocabulary = vocabulary(dir, SHAPE.vocab());
        Path a = RandomTransformerGguf.write(dir.resolve("a.gguf"), SHAPE, DType.Q8_0, vocabulary, 5);
        Path b = RandomTransformerGguf.write(dir.resolve("b.gguf"), SHAPE, DType.Q8_0, vocabulary, 5);
        Path c = RandomTransformerGguf.write(dir.resolve("c.gguf"), SHAPE, DType.Q8_0, vocabulary, 6);
        assertThat(Files.mismatch(a, b)).isEqualTo(-1);
        assertThat(Files.mismatch(a, c)).isNotEqualTo(-1);
    }

    @Test
    void aVocabularyOfAnotherSizeOrRowsThatAreNotWholeBlocksAreRefused(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> RandomTransformerGguf.write(dir.resolve("v.gguf"), SHAPE, DType.F16, vocabulary(dir, 99), 5))
                .hasMessageContaining("99 tokens").hasMessageContaining("100");
        RandomTransformers.Shape narrow = new RandomTransformers.Shape("llama", 100, 256, 64, 1, 4, 2, 16, 128, 500000, true);
        assertThatThrownBy(() -> RandomTransformerGguf.write(dir.resolve("q.gguf"), narrow, DType.Q4_K, vocabulary(dir, 100), 5))
                .hasMessageContaining("not whole q4_k blocks");
    }

    /** A GGUF holding only a tokenizer of {@code n} tokens (what the writer copies from llama.cpp's vocab files). */
    private static GgufFile vocabulary(Path dir, int n) throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("tokenizer.ggml.model", "llama");
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) tokens.add("t" + i);
        meta.put("tokenizer.ggml.tokens", tokens);
        Path file = dir.resolve("vocab-" + n + ".gguf");
        GgufWriter.write(file, true, meta, List.of());
        return GgufFile.open(file);
    }
}
