package dev.specdiff4j.bench;

import dev.specdiff4j.weights.Converter;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The independent-engine check: the bundled demo target, exported to GGUF by our converter (with an
 * explicit output.weight), decoded greedily by llama.cpp, gives the same tokens as specdiff4j for 48
 * steps from several prompts, reading either the HF folder or the GGUF file. llama.cpp computes F16 and
 * Q8_0 with F16 / Q8_0 activations while we keep F32 activations, so a near-tie could in principle make the
 * quantized exports diverge; measured with java-llama.cpp 4.2.0, all four prompts agree on every one of 64
 * greedy tokens for F16 and Q8_0 alike, so they are required to agree on all {@value #QUANTIZED_TOKENS} tokens
 * too. A dequantizer or loader that misreads one block's scale or layout does not survive that many steps. The 4-bit
 * exports (Q4_0; Q4_K_M, which on this 384-wide model mixes Q4_K, Q6_K, Q5_0 and Q8_0), where llama.cpp also rounds the
 * activations to 8 bits, may part ways only at a near-tie: measured, 6 of the 8 prompt/export pairs agree on all 48
 * tokens and the other two part where our two candidates' logits differ by 0.0007 and less than 0.0001; the test
 * requires any parting to be within {@value #NEAR_TIE} of a tie.
 */
@Tag("slow")
class LlamaCppAgreementTest {
    static final int QUANTIZED_TOKENS = 48;
    /** convert --dtype values; q4_k_m mixes Q4_K, Q6_K and (the demo target is 384 wide) the Q5_0 / Q8_0 fallbacks. */
    static final String[] QUANTIZED_EXPORTS = {"f16", "q8_0", "q4_0", "q4_k_m"};
    static final String[] PROMPTS = {"The jury said", "It was the first time that", "In the morning, the", "He looked at her and"};

    static Path demoTarget() {
        Path p = Path.of(System.getProperty("specdiff4j.demo.target", "../models/demo/target"));
        assertThat(p.resolve("config.json")).as("the bundled demo target").exists();
        return p;
    }

    static int[] ours(Path model, DType dtype, String prompt, int tokens) throws IOException {
        try (Generator g = Generator.open(ModelSpec.of(model).withDtype(dtype))) {
            GenerationResult r = g.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(tokens)
                    .sampling(SamplingConfig.greedy()).stopAtEos(false).build());
            return r.tokens();
        }
    }

    static String decode(Path model, int[] ids) throws IOException {
        return dev.specdiff4j.tokenizer.Tokenizers.load(model).decode(ids);
    }

    @Test
    void llamaCppGivesTheSameGreedyTokensOnTheF32Export(@TempDir Path dir) throws IOException {
        Path hf = demoTarget();
        Path gguf = dir.resolve("target-f32.gguf");
        Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, DType.F32, false, null));
        LlamaCpp llama = new LlamaCpp(gguf, 2);
        try {
            for (String prompt : PROMPTS) {
                int[] fromHf = ours(hf, DType.F32, prompt, 48);
                int[] fromGguf = ours(gguf, null, prompt, 48);
                assertThat(fromGguf).as("our engine on the GGUF export").containsExactly(fromHf);
                int[] promptIds = dev.specdiff4j.tokenizer.Tokenizers.load(hf).encode(prompt);
                assertThat(llama.encode(prompt)).as("llama.cpp tokenizes the prompt the same way").containsExactly(promptIds);
                String theirs = llama.greedy(promptIds, 48);
                assertThat(theirs).as("llama.cpp's greedy continuation of '%s'", prompt).isEqualTo(decode(hf, fromHf));
            }
        } finally {
            llama.close();
        }
    }

    @Test
    void quantizedExportsGiveTheSameGreedyTokens(@TempDir Path dir) throws IOException {
        Path hf = demoTarget();
        for (String dtype : QUANTIZED_EXPORTS) {
            Path gguf = dir.resolve("target-" + dtype + ".gguf");
            Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, dtype, false, null));
            LlamaCpp llama = new LlamaCpp(gguf, 2);
            try {
                BpeTokenizer tokenizer = Tokenizers.load(hf);
                for (String prompt : PROMPTS) {
                    int[] ours = ours(gguf, null, prompt, QUANTIZED_TOKENS);
                    String theirs = llama.greedy(tokenizer.encode(prompt), QUANTIZED_TOKENS);
                    int agreeing = leadingTokensAgreeing(tokenizer, ours, theirs);
                    System.out.printf("%s export, '%s': identical for %d of %d tokens%n", dtype, prompt, agreeing, ours.length);
                    if (agreeing < QUANTIZED_TOKENS && FOUR_BIT.contains(dtype)) {
                        // a 4-bit export may part ways at a near-tie: llama.cpp rounds the activations to 8 bits, we do not
                        int[] context = concat(tokenizer.encode(prompt), Arrays.copyOf(ours, agreeing));
                        int[] theirNext = tokenizer.encode(llama.greedy(context, 1));
                        float gap = logitGap(gguf, context, ours[agreeing], theirNext[0]);
                        System.out.printf("  parted at token %d: our choice leads llama.cpp's by %.4f in our logits%n", agreeing, gap);
                        assertThat(gap).as("%s, '%s': token %d is a near-tie", dtype, prompt, agreeing).isLessThan(NEAR_TIE);
                        continue;
                    }
                    assertThat(agreeing).as("%s, '%s': leading greedy tokens identical to llama.cpp's", dtype, prompt)
                            .isEqualTo(QUANTIZED_TOKENS);
                }
            } finally {
                llama.close();
            }
        }
        assertThat(Files.list(dir).count()).isEqualTo(QUANTIZED_EXPORTS.length);
    }

    /** The 4-bit exports, where a parting at a near-tie is allowed; and what counts as one (a logit difference). */
    static final java.util.Set<String> FOUR_BIT = java.util.Set.of("q4_0", "q4_k_m");
    static final float NEAR_TIE = 0.05f;

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Our logit of {@code ours} minus that of {@code theirs} after {@code context}. */
    static float logitGap(Path gguf, int[] context, int ours, int theirs) throws IOException {
        try (var kernels = new dev.specdiff4j.engine.kernels.VectorKernels(2);
             var model = dev.specdiff4j.engine.model.Gpt2.load(gguf, new dev.specdiff4j.engine.model.LoadOptions(null, kernels));
             var session = model.newSession()) {
            float[] logits = session.forward(context, 1)[0];
            return logits[ours] - logits[theirs];
        }
    }

    /** How many of our leading tokens decode to a prefix of llama.cpp's continuation. */
    static int leadingTokensAgreeing(BpeTokenizer tokenizer, int[] ours, String theirs) {
        int n = 0;
        while (n < ours.length && theirs.startsWith(tokenizer.decode(Arrays.copyOf(ours, n + 1)))) n++;
        return n;
    }
}
