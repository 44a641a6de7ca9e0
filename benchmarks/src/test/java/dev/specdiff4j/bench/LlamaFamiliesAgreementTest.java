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
 * llama.cpp's own vocab file. Every row of a batched prompt pass must give the same logits within {@value #TOLERANCE} of
 * the largest logit's magnitude, and 32 greedy steps the same tokens, up to a near-tie. Needs SPECDIFF4J_GGML_LIB and SPECDIFF4J_LLAMA_VOCABS; skipped without them unless
 * SPECDIFF4J_REQUIRE_FIXTURES=1.
 *
 * <p>The tolerance: both engines compute in F32 with F32 weights and (here) an F32 KV cache, but sum in different orders, and
 * llama.cpp computes its RoPE angles in float and may round attention inputs to F16 in its flash-attention path. Measured
 * absolute differences: 0.0034 (llama), 0.013 (qwen2), 0.016 (qwen3); the qwen models' head is their ±1 token embedding
 * (tied), against llama's ±0.2 separate head, so their logits are several times larger, and the differences scale with
 * them: hence a bound relative to the largest logit (measured ratios 8.2e-4, 5.3e-4, 7.1e-4). A RoPE or layout mistake moves
 * logits by amounts of the order of the logits themselves. Greedy tokens may part only where our top two logits are within
 * twice the allowed difference of each other (random models over 150k tokens have such near-ties now and then).
 */
class LlamaFamiliesAgreementTest {
    static final float TOLERANCE = 0.002f;
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
            float largest = 0;
            for (int t = 0; t < prompt.length; t++) {
                float[] their = theirs.logits(t);
                for (int v = 0; v < their.length; v++) {
                    worst = Math.max(worst, Math.abs(their[v] - our[t][v]));
                    largest = Math.max(largest, Math.abs(our[t][v]));
                }
            }
            float allowed = TOLERANCE * largest;
            System.out.printf("%s: largest logit difference to llama.cpp over %d rows: %.5f (largest logit %.3f, ratio %.2e)%n", family,
                    prompt.length, worst, largest, worst / largest);
            assertThat(worst).as("%s: largest logit difference to llama.cpp", family).isLessThan(allowed);

            GreedyAgreement.assertAgrees(family, our[prompt.length - 1], token -> session.forwardLast(new int[] {token}), theirs, prompt, STEPS,
                    allowed);
        }
    }

}
