package dev.specdiff4j.engine.model;

import dev.specdiff4j.tokenizer.SequenceMarks;
import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The BOS a prompt gets from the tokenizer in llama.cpp's vocabulary GGUF files, as llama.cpp's
 * {@code llama_tokenize(..., add_special=true)} adds it: Llama 3 (no add_bos_token key; the llama-bpe pre-tokenizer
 * defaults it to true) and Llama 2 (add_bos_token true) start with BOS, Qwen2 and GPT-2 do not.
 */
class LlamaCppVocabBosTest {

    private static Tokenizer vocab(String name) throws IOException {
        String file = "ggml-vocab-" + name + ".gguf";
        Path folder = ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", file);
        try (ModelFiles files = ModelFiles.open(folder.resolve(file))) {
            return files.anyTokenizer();
        }
    }

    @Test
    void llama3StartsWithBeginOfTextOnce() throws IOException {
        Tokenizer t = vocab("llama-bpe");
        assertThat(t.sequenceMarks()).isEqualTo(new SequenceMarks(128_000, -1));
        assertThat(t.encodeForModel("Hello world")).containsExactly(128_000, 9906, 1917);
        assertThat(t.encodeForModel("")).containsExactly(128_000);
        // a chat template that writes <|begin_of_text|> itself: one BOS, not two
        assertThat(t.encodeForModel("<|begin_of_text|>Hello world", Tokenizer.SpecialTokens.AS_IDS)).containsExactly(128_000, 9906, 1917);
        assertThat(t.encode("Hello world")).containsExactly(9906, 1917);
    }

    @Test
    void llama2StartsWithS() throws IOException {
        Tokenizer t = vocab("llama-spm");
        assertThat(t.sequenceMarks()).isEqualTo(new SequenceMarks(1, -1));
        // "Hello world" in Llama 2's vocabulary: ▁Hello 15043, ▁world 3186
        assertThat(t.encodeForModel("Hello world")).containsExactly(1, 15043, 3186);
        assertThat(t.encodeForModel("")).containsExactly(1);
        assertThat(t.encodeForModel("<s>Hello world", Tokenizer.SpecialTokens.AS_IDS)).containsExactly(1, 15043, 3186);
    }

    @Test
    void qwen2AndGpt2AddNothing() throws IOException {
        for (String name : new String[] {"qwen2", "gpt-2"}) {
            Tokenizer t = vocab(name);
            assertThat(t.sequenceMarks()).as(name).isEqualTo(SequenceMarks.NONE);
            assertThat(t.encodeForModel("Hello world")).as(name).containsExactly(t.encode("Hello world"));
            assertThat(t.encodeForModel("")).as(name).isEmpty();
        }
    }
}
