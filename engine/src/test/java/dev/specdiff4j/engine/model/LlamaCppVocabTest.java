package dev.specdiff4j.engine.model;

import dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tokenizer read from the GGUF metadata of llama.cpp's vocabulary test files encodes every case of the
 * matching {@code .inp} file to exactly the ids of the {@code .out} file (llama.cpp's own expectations, made
 * with the reference tokenizers), and decodes them back. The files come from the llama.cpp sources that
 * node-llama-cpp ships on npm; {@code .ci/run} installs them and names the folder in SPECDIFF4J_LLAMA_VOCABS.
 */
class LlamaCppVocabTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2"})
    void encodesEveryCaseLikeLlamaCpp(String name) throws IOException {
        String file = "ggml-vocab-" + name + ".gguf";
        Path folder = ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", file);
        List<String> cases = new ArrayList<>(Arrays.asList(
                Files.readString(folder.resolve(file + ".inp"), StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n", -1)));
        if (cases.getLast().isEmpty()) cases.removeLast();
        List<String> expected = new ArrayList<>(Arrays.asList(
                Files.readString(folder.resolve(file + ".out"), StandardCharsets.UTF_8).split("\n", -1)));
        if (expected.getLast().isEmpty()) expected.removeLast();
        assertThat(cases).isNotEmpty().hasSameSizeAs(expected);

        Tokenizer tokenizer;
        try (ModelFiles files = ModelFiles.open(folder.resolve(file))) {
            tokenizer = files.anyTokenizer();
        }
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            String text = cases.get(i);
            int[] want = expected.get(i).isBlank() ? new int[0]
                    : Arrays.stream(expected.get(i).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            int[] got = tokenizer.encode(text);
            if (!Arrays.equals(got, want)) {
                failures.add("case " + i + " " + escape(text) + "\n  llama.cpp " + Arrays.toString(want) + "\n  ours      " + Arrays.toString(got));
            }
        }
        assertThat(failures).as(file + ": cases encoded differently from llama.cpp").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm"})
    void sentencePieceDecodesBackToTheText(String name) throws IOException {
        String file = "ggml-vocab-" + name + ".gguf";
        Path folder = ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", file);
        List<String> cases = new ArrayList<>(Arrays.asList(
                Files.readString(folder.resolve(file + ".inp"), StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n", -1)));
        if (cases.getLast().isEmpty()) cases.removeLast();
        SentencePieceBpeTokenizer spm;
        try (ModelFiles files = ModelFiles.open(folder.resolve(file))) {
            spm = (SentencePieceBpeTokenizer) files.anyTokenizer();
        }
        for (String text : cases) {
            // the encoder adds one space in front; decoding takes exactly that one away again
            assertThat(spm.decode(spm.encode(text))).as(escape(text)).isEqualTo(text);
            int[] withBos = spm.encodeForModel(text, Tokenizer.SpecialTokens.AS_TEXT);
            assertThat(withBos[0]).isEqualTo(spm.bosId());
        }
    }

    private static String escape(String s) {
        return s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
    }
}
