package dev.specdiff4j.bench;

import dev.specdiff4j.weights.Converter;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The independent-engine check: the bundled demo target, exported to GGUF by our converter (with an
 * explicit output.weight), decoded greedily by llama.cpp, gives the same tokens as specdiff4j for 48
 * steps from several prompts, reading either the HF folder or the GGUF file. F32 is compared exactly;
 * llama.cpp computes F16 and Q8_0 with F16 / Q8_0 activations while we keep F32 activations, so those
 * exports are only required to agree on a prefix (the length is printed for the record).
 */
class LlamaCppAgreementTest {
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
    void quantizedExportsAgreeOnAPrefix(@TempDir Path dir) throws IOException {
        Path hf = demoTarget();
        for (DType dtype : new DType[] {DType.F16, DType.Q8_0}) {
            Path gguf = dir.resolve("target-" + dtype.displayName() + ".gguf");
            Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, dtype, false, null));
            LlamaCpp llama = new LlamaCpp(gguf, 2);
            try {
                int total = 0;
                for (String prompt : PROMPTS) {
                    String ourText = decode(hf, ours(gguf, null, prompt, 32));
                    String theirs = llama.greedy(dev.specdiff4j.tokenizer.Tokenizers.load(hf).encode(prompt), 32);
                    int same = 0;
                    while (same < Math.min(ourText.length(), theirs.length()) && ourText.charAt(same) == theirs.charAt(same)) same++;
                    total += same;
                    System.out.printf("%s export, '%s': identical for %d of %d characters%n", dtype.displayName(), prompt, same, ourText.length());
                    assertThat(same).as("%s, '%s'", dtype, prompt).isGreaterThan(0);
                }
                assertThat(total).isPositive();
            } finally {
                llama.close();
            }
        }
        assertThat(Files.list(dir).count()).isEqualTo(2);
    }
}
