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
 * too. A dequantizer or loader that misreads one block's scale or layout does not survive that many steps.
 */
@Tag("slow")
class LlamaCppAgreementTest {
    static final int QUANTIZED_TOKENS = 48;
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
        for (DType dtype : new DType[] {DType.F16, DType.Q8_0}) {
            Path gguf = dir.resolve("target-" + dtype.displayName() + ".gguf");
            Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, dtype, false, null));
            LlamaCpp llama = new LlamaCpp(gguf, 2);
            try {
                BpeTokenizer tokenizer = Tokenizers.load(hf);
                for (String prompt : PROMPTS) {
                    int[] ours = ours(gguf, null, prompt, QUANTIZED_TOKENS);
                    String theirs = llama.greedy(tokenizer.encode(prompt), QUANTIZED_TOKENS);
                    int agreeing = leadingTokensAgreeing(tokenizer, ours, theirs);
                    System.out.printf("%s export, '%s': identical for %d of %d tokens%n", dtype.displayName(), prompt, agreeing, ours.length);
                    assertThat(agreeing).as("%s, '%s': leading greedy tokens identical to llama.cpp's", dtype, prompt)
                            .isEqualTo(QUANTIZED_TOKENS);
                }
            } finally {
                llama.close();
            }
        }
        assertThat(Files.list(dir).count()).isEqualTo(2);
    }

    /** How many of our leading tokens decode to a prefix of llama.cpp's continuation. */
    static int leadingTokensAgreeing(BpeTokenizer tokenizer, int[] ours, String theirs) {
        int n = 0;
        while (n < ours.length && theirs.startsWith(tokenizer.decode(Arrays.copyOf(ours, n + 1)))) n++;
        return n;
    }
}
