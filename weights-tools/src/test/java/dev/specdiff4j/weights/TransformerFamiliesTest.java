package dev.specdiff4j.weights;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.ModelFormatException;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Llama-layout families from both file formats: the same random weights written as an HF folder and as the GGUF file
 * llama.cpp's converter makes of it (its names, metadata and, for llama, q/k rows permuted for its RoPE) give the same
 * logits bit for bit, which proves the name mapping and the undoing of the permutation; and clear errors for what is not
 * runnable.
 */
class TransformerFamiliesTest {
    private static final VectorKernels KERNELS = new VectorKernels(2);
    static final int[] PROMPT = {1, 50, 99, 7, 7, 120, 3, 64};

    @AfterAll
    static void close() {
        KERNELS.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void hfFolderAndGgufFileGiveTheSameLogits(String family, @TempDir Path dir) throws IOException {
        RandomTransformers weights = RandomTransformers.of(RandomTransformers.Shape.tiny(family, 128), 11);
        Path hf = weights.writeHf(dir.resolve("hf"));
        Path gguf = weights.writeGguf(dir.resolve("model.gguf"), null);
        try (Transformer a = TransformerLoader.load(hf, new LoadOptions(null, KERNELS));
             Transformer b = TransformerLoader.load(gguf, new LoadOptions(null, KERNELS));
             var sa = a.newSession(); var sb = b.newSession()) {
            assertThat(b.spec().heads()).isEqualTo(4);
            assertThat(b.spec().kvHeads()).isEqualTo(2);
            assertThat(b.spec().headDim()).isEqualTo(a.spec().headDim());
            assertThat(b.spec().tiedOutput()).isEqualTo(a.spec().tiedOutput()).isEqualTo(!family.equals("llama"));
            assertThat(b.spec().rope().inverseFrequency()).containsExactly(a.spec().rope().inverseFrequency());
            assertThat(b.spec().qkvBias()).isEqualTo(family.equals("qwen2"));
            assertThat(b.spec().qkNorm()).isEqualTo(family.equals("qwen3"));
            float[][] fromHf = sa.forward(PROMPT);
            float[][] fromGguf = sb.forward(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) assertThat(fromGguf[t]).as("%s, token %d", family, t).containsExactly(fromHf[t]);
            // and the logits are not degenerate: the rows differ from token to token
            assertThat(fromHf[1]).isNotEqualTo(fromHf[2]);
        }
    }

    @Test
    void theLlamaRopePermutationIsLlamaCppsAndTheLoaderUndoesIt() {
        long[] shape = {8, 3};
        float[] rows = new float[24];
        for (int i = 0; i < rows.length; i++) rows[i] = i / 3; // row r holds r
        float[] permuted = RandomTransformers.permuteRopeRows(rows, shape, 2);
        // two heads of 4 rows (half 2): GGUF rows 0,1,2,3 hold HF rows 0,2,1,3; head 1 likewise shifted by 4
        float[] firstOfEachRow = new float[8];
        for (int r = 0; r < 8; r++) firstOfEachRow[r] = permuted[r * 3];
        assertThat(firstOfEachRow).containsExactly(0, 2, 1, 3, 4, 6, 5, 7);
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var stored = dev.specdiff4j.engine.tensor.Tensor.of("q", DType.F32, shape, permuted, arena);
            assertThat(TransformerLoader.unpermuteRopeRows(stored, 2, arena).toFloatArray()).containsExactly(rows);
        }
    }

    @Test
    void aLlamaConfigDoesNotLoadAsGpt2(@TempDir Path dir) throws IOException {
        Path hf = RandomTransformers.of(RandomTransformers.Shape.tiny("llama", 128), 1).writeHf(dir.resolve("hf"));
        try (ModelFiles files = ModelFiles.open(hf)) {
            assertThat(files.architecture()).isEqualTo(ModelFiles.Architecture.LLAMA);
        }
        assertThatThrownBy(() -> Gpt2.load(hf, new LoadOptions(null, KERNELS)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("is not a GPT-2 model (found llama)");
    }

    @Test
    void unsupportedArchitecturesAndMissingTensorsAreNamed(@TempDir Path dir) throws IOException {
        Path hf = RandomTransformers.of(RandomTransformers.Shape.tiny("qwen2", 128), 1).writeHf(dir.resolve("hf"));
        Path config = hf.resolve("config.json");
        String original = Files.readString(config, StandardCharsets.UTF_8);

        Files.writeString(config, original.replace("\"qwen2\"", "\"falcon\""), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TransformerLoader.load(hf, new LoadOptions(null, KERNELS)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("model_type 'falcon' is not supported");

        Files.writeString(config, original.replace("\"silu\"", "\"gelu\""), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TransformerLoader.load(hf, new LoadOptions(null, KERNELS)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("hidden_act 'gelu' is not supported");

        Files.writeString(config, original.replace("\"tie_word_embeddings\" : true", "\"tie_word_embeddings\" : false")
                .replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TransformerLoader.load(hf, new LoadOptions(null, KERNELS)))
                .hasMessageContaining("lm_head.weight");

        Files.writeString(config, original.replace("\"rope_theta\"", "\"rope_scaling\": {\"rope_type\": \"longrope\", \"factor\": 4.0}, \"rope_theta\""),
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TransformerLoader.load(hf, new LoadOptions(null, KERNELS)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("rope_scaling type 'longrope' is not supported");
    }

    @Test
    void inspectSaysWhetherALlamaFileIsRunnable(@TempDir Path dir) throws IOException {
        RandomTransformers weights = RandomTransformers.of(RandomTransformers.Shape.tiny("qwen3", 128), 3);
        Path gguf = weights.writeGguf(dir.resolve("q3.gguf"), null);
        var report = Inspector.inspect(gguf);
        assertThat(report.get("architecture")).isEqualTo("qwen3");
        assertThat(report.get("runnable")).isEqualTo(true);
        assertThat(String.valueOf(report.get("model"))).contains("qwen3").contains("kvHeads=2");
    }

    @Test
    void quantizedLoadingRunsOnThePermutedRows(@TempDir Path dir) throws IOException {
        // Q8_0 at load time after the permutation is undone: close to F32 (the rows moved whole, blocks intact)
        RandomTransformers weights = RandomTransformers.of(RandomTransformers.Shape.tiny("llama", 128), 5);
        Path gguf = weights.writeGguf(dir.resolve("l.gguf"), null);
        Path hf = weights.writeHf(dir.resolve("hf"));
        try (Transformer a = TransformerLoader.load(hf, new LoadOptions(DType.Q8_0, KERNELS));
             Transformer b = TransformerLoader.load(gguf, new LoadOptions(DType.Q8_0, KERNELS));
             var sa = a.newSession(); var sb = b.newSession()) {
            float[][] x = sa.forward(PROMPT);
            float[][] y = sb.forward(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) assertThat(y[t]).containsExactly(x[t]);
        }
    }
}
