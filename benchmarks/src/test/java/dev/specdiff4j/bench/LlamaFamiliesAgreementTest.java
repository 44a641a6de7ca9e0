package dev.specdiff4j.bench;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import dev.specdiff4j.weights.RandomTransformers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reference A for the Llama-layout families: llama.cpp itself (through the FFM comparator {@link LlamaCppNative}) on the GGUF
 * file of a random-weight model in the exact layout its converter writes (RandomTransformers: llama with the q/k rows
 * permuted for llama.cpp's RoPE, qwen2 with q/k/v biases, qwen3 with QK-norm and 32-wide heads), with the tokenizer of
 * llama.cpp's own vocab file. Every row of a batched prompt pass must give the same logits within {@value #TOLERANCE}, and
 * 32 greedy steps the same tokens. Needs SPECDIFF4J_GGML_LIB and SPECDIFF4J_LLAMA_VOCABS; skipped without them unless
 * SPECDIFF4J_REQUIRE_FIXTURES=1.
 *
 * <p>The tolerance: both engines compute in F32 with F32 weights and (here) an F32 KV cache, but sum in different orders and
 * llama.cpp computes its RoPE angles and softmax exponentials in float; the logits of these models are of order 1–10, and
 * the GPT-2 comparison ({@link LlamaCppNativeTest}) measured differences up to 0.004 for the same reasons.
 */
class LlamaFamiliesAgreementTest {
    static final float TOLERANCE = 0.006f;
    static final int STEPS = 32;

    @ParameterizedTest
    @CsvSource({"llama, ggml-vocab-llama-spm.gguf", "qwen2, ggml-vocab-qwen2.gguf", "qwen3, ggml-vocab-qwen2.gguf"})
    void llamaCppComputesTheSameLogitsAndGreedyTokens(String family, String vocabFile, @TempDir Path dir) throws IOException {
        Path library = ExternalFixtures.folder("SPECDIFF4J_GGML_LIB", "libggml-base.so");
        Path vocabs = ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", vocabFile);
        Path gguf;
        try (GgufFile vocabulary = GgufFile.open(vocabs.resolve(vocabFile))) {
            int vocab = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
            gguf = RandomTransformers.of(RandomTransformers.Shape.tiny(family, vocab), 19).writeGguf(dir.resolve(family + ".gguf"), vocabulary);
        }
        int[] prompt = {1, 450, 4996, 17354, 1701, 2, 318, 29871};
        try (VectorKernels kernels = new VectorKernels(2);
             Transformer ours = TransformerLoader.load(gguf, new LoadOptions(null, kernels));
             var session = ours.newSession();
             LlamaCppNative theirs = new LlamaCppNative(library, gguf, 2, true)) {
            assertThat(theirs.vocabSize()).isEqualTo(ours.vocabSize());
            float[][] our = session.forward(prompt);
            theirs.forward(prompt, prompt.length);
            float worst = 0;
            for (int t = 0; t < prompt.length; t++) {
                float[] their = theirs.logits(t);
                for (int v = 0; v < their.length; v++) worst = Math.max(worst, Math.abs(their[v] - our[t][v]));
            }
            System.out.printf("%s: largest logit difference to llama.cpp over %d rows: %.5f%n", family, prompt.length, worst);
            assertThat(worst).as("%s: largest logit difference to llama.cpp", family).isLessThan(TOLERANCE);

            int[] ourTokens = new int[STEPS];
            int next = argmax(our[prompt.length - 1]);
            for (int i = 0; i < STEPS; i++) {
                ourTokens[i] = next;
                next = argmax(session.forwardLast(new int[] {next}));
            }
            int[] theirTokens = theirs.greedy(prompt, STEPS).tokens();
            assertThat(theirTokens).as("%s: llama.cpp's greedy tokens", family).containsExactly(ourTokens);
        }
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
