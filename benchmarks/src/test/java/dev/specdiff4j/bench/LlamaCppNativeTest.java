package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import dev.specdiff4j.weights.Converter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The FFM comparator ({@link LlamaCppNative}) against specdiff4j on our own GGUF export of the tiny random GPT-2 fixture:
 * the same greedy tokens, one token at a time and as the argmax of every row of a batched pass; and clear errors for a
 * missing library folder and for files that are not models. Needs the prebuilt llama.cpp of
 * {@code @node-llama-cpp/linux-x64} (SPECDIFF4J_GGML_LIB, installed by .ci/run); skipped without it unless
 * SPECDIFF4J_REQUIRE_FIXTURES=1.
 */
class LlamaCppNativeTest {
    /**
     * Prompts whose 24 greedy steps on the fixture have no near-tie (top-2 gap at least 2 × {@link #TOLERANCE}; the random
     * tiny model has many: [260, 3, 99, 150, 7] reaches a gap of 0.0002 at its 11th step, where the engines part).
     */
    static final int[][] PROMPTS = {{5, 17, 42}, {70, 71, 72}, {100, 101}, {180, 181, 182, 183}};
    static final int TOKENS = 24;
    /** llama.cpp's logits differ from ours by up to 0.004 on this model (F32 weights and cache), measured. */
    static final float TOLERANCE = 0.006f;

    static Path library() {
        return ExternalFixtures.folder("SPECDIFF4J_GGML_LIB", "libggml-base.so");
    }

    static Path export(Path dir, DType dtype) throws IOException {
        Path hf = TinyModels.withTokenizer("gpt2-tiny", dir);
        Path gguf = dir.resolve("tiny-" + dtype.displayName() + ".gguf");
        Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, dtype, false, null));
        return gguf;
    }

    static int[] ours(Generator g, int[] prompt, int tokens) {
        GenerationResult r = g.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(tokens)
                .sampling(SamplingConfig.greedy()).stopAtEos(false).build(), dev.specdiff4j.engine.api.GenerationListener.NONE,
                new dev.specdiff4j.engine.api.Cancellation());
        return r.tokens();
    }

    @Test
    void decodesOurF32ExportToOurGreedyTokens(@TempDir Path dir) throws IOException {
        Path lib = library();
        Path gguf = export(dir, DType.F32);
        try (Generator g = Generator.open(ModelSpec.of(gguf)); LlamaCppNative f32Cache = new LlamaCppNative(lib, gguf, 2, true);
             LlamaCppNative f16Cache = new LlamaCppNative(lib, gguf, 2)) {
            assertThat(f32Cache.vocabSize()).isEqualTo(g.target().vocabSize());
            for (int[] prompt : PROMPTS) {
                int[] expected = ours(g, prompt, TOKENS);
                // along our greedy path: every logit within TOLERANCE of ours, and no step a near-tie, so the argmax cannot differ
                try (CausalLanguageModel.Session s = g.target().newSession()) {
                    float[] o = s.forward(prompt, 1)[0];
                    f32Cache.truncate(0);
                    f32Cache.forward(prompt, 1);
                    for (int step = 0; step < TOKENS; step++) {
                        float[] t = f32Cache.lastLogits();
                        for (int v = 0; v < o.length; v++) {
                            assertThat(t[v]).as("logit %d at step %d after %s", v, step, Arrays.toString(prompt)).isCloseTo(o[v], within(TOLERANCE));
                        }
                        assertThat(argmax(o)).isEqualTo(expected[step]);
                        assertThat(gap(o)).as("the fixture's top-2 gap at step %d after %s (choose prompts without near-ties)", step,
                                Arrays.toString(prompt)).isGreaterThanOrEqualTo(2 * TOLERANCE);
                        o = s.forward(new int[] {expected[step]}, 1)[0];
                        f32Cache.forward(new int[] {expected[step]}, 1);
                    }
                }
                for (LlamaCppNative llama : new LlamaCppNative[] {f32Cache, f16Cache}) {
                    LlamaCppNative.Run run = llama.greedy(prompt, TOKENS);
                    assertThat(run.tokens()).as("llama.cpp's greedy continuation of %s", Arrays.toString(prompt)).containsExactly(expected);
                    assertThat(run.stepNanos()).isPositive();
                    assertThat(llama.length()).isEqualTo(prompt.length + TOKENS - 1);
                }
            }
            assertThat(f32Cache.variant().score()).isPositive();
        }
    }

    /** The top logit minus the second. */
    static float gap(float[] row) {
        int a = argmax(row);
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < row.length; i++) if (i != a) second = Math.max(second, row[i]);
        return row[a] - second;
    }

    @Test
    void everyRowOfABatchedPassIsOurArgmax(@TempDir Path dir) throws IOException {
        Path lib = library();
        Path gguf = export(dir, DType.F32);
        int[] context = {5, 17, 42, 260, 3, 99, 150, 7, 1, 299};
        int[] block = {11, 12, 13, 14, 200, 201, 202, 40, 41, 42, 43, 44, 45, 46, 47, 48};
        try (Generator g = Generator.open(ModelSpec.of(gguf)); LlamaCppNative llama = new LlamaCppNative(lib, gguf, 2);
             CausalLanguageModel.Session s = g.target().newSession()) {
            s.forward(context, 1);
            float[][] logits = s.forward(block);
            llama.forward(context, 1);
            int[] theirs = llama.forward(block, block.length);
            int[] expected = new int[block.length];
            for (int i = 0; i < block.length; i++) expected[i] = argmax(logits[i]);
            assertThat(theirs).containsExactly(expected);
            // rolling back and passing the last rows again gives the same tokens again
            llama.truncate(context.length + 4);
            int[] again = llama.forward(Arrays.copyOfRange(block, 4, block.length), block.length - 4);
            assertThat(again).containsExactly(Arrays.copyOfRange(expected, 4, block.length));
        }
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    @Test
    void aMissingLibraryFolderIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> new LlamaCppNative(dir.resolve("nowhere"), dir.resolve("m.gguf"), 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no model file");
        Path gguf = dir.resolve("m.gguf");
        assertThatThrownBy(() -> {
            Files.write(gguf, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
            new LlamaCppNative(dir.resolve("nowhere"), gguf, 2);
        }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist").hasMessageContaining("SPECDIFF4J_GGML_LIB");
        assertThatThrownBy(() -> new LlamaCppNative(dir, gguf, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds no libllama.so");
    }

    @Test
    void filesThatAreNotModelsAreClearErrors(@TempDir Path dir) throws IOException {
        Path lib = library();
        Path text = Files.writeString(dir.resolve("notes.gguf"), "not a model");
        assertThatThrownBy(() -> new LlamaCppNative(lib, text, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a GGUF file");
        Path good = export(dir, DType.F32);
        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(good), 4096));
        assertThatThrownBy(() -> new LlamaCppNative(lib, truncated, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("llama.cpp could not load").hasMessageContaining("truncated.gguf");
        try (LlamaCppNative llama = new LlamaCppNative(lib, good, 2)) {
            assertThatThrownBy(() -> llama.forward(new int[] {llama.vocabSize()}, 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("outside the vocabulary");
        }
    }
}
