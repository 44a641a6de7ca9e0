package dev.specdiff4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer.BYTE;
import static dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer.CONTROL;
import static dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer.NORMAL;
import static dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SentencePiece BPE on tiny hand-made vocabularies whose expected ids are worked out by hand (in the
 * comments). The real vocabularies are checked against llama.cpp in the engine's LlamaCppVocabTest.
 */
class SentencePieceBpeTokenizerTest {
    // ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then the normal tokens below
    private static final String[] NORMAL_PIECES = {"▁", "a", "b", "ab", "▁a", "▁ab", "ba"};
    private static final float[] NORMAL_SCORES = {-1, -2, -3, -10, -5, -4, -1};
    private static final int SPACE = 259, A = 260, B = 261, SPACE_A = 263, SPACE_AB = 264, BA = 265;

    private static SentencePieceBpeTokenizer byScore() {
        int n = 3 + 256 + NORMAL_PIECES.length;
        String[] pieces = new String[n];
        int[] types = new int[n];
        float[] scores = new float[n];
        pieces[0] = "<unk>";
        types[0] = UNKNOWN;
        pieces[1] = "<s>";
        types[1] = CONTROL;
        pieces[2] = "</s>";
        types[2] = CONTROL;
        for (int b = 0; b < 256; b++) {
            pieces[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = BYTE;
        }
        for (int i = 0; i < NORMAL_PIECES.length; i++) {
            pieces[259 + i] = NORMAL_PIECES[i];
            types[259 + i] = NORMAL;
            scores[259 + i] = NORMAL_SCORES[i];
        }
        return new SentencePieceBpeTokenizer(new SentencePieceBpeTokenizer.Spec("test vocabulary", pieces, types, scores, null,
                true, false, 1, 2, 0, true, false));
    }

    @Test
    void mergesTheHighestScoringPairFirst() {
        SentencePieceBpeTokenizer t = byScore();
        // "▁ab": ▁a (-5) beats ab (-10); then ▁a+b = ▁ab (-4)
        assertThat(t.encode("ab")).containsExactly(SPACE_AB);
        // "▁aba": ba (-1) first, then ▁a (-5); "▁aba" is no token
        assertThat(t.encode("aba")).containsExactly(SPACE_A, BA);
        // spaces are ▁ and a space goes in front: "▁b▁a" -> ▁, b, ▁a
        assertThat(t.encode("b a")).containsExactly(SPACE, B, SPACE_A);
        assertThat(t.encode("")).isEmpty();
    }

    @Test
    void charactersOutsideTheVocabularyFallBackToTheirUtf8Bytes() {
        SentencePieceBpeTokenizer t = byScore();
        // "▁é": é is C3 A9, byte tokens are 3 + the byte
        assertThat(t.encode("é")).containsExactly(SPACE, 3 + 0xC3, 3 + 0xA9);
        assertThat(t.decode(new int[] {SPACE, 3 + 0xC3, 3 + 0xA9})).isEqualTo("é");
        assertThat(t.decode(new int[] {3 + 0xC3})).isEqualTo("\uFFFD");
    }

    @Test
    void controlTokensAreSplitOutOnlyWhenAskedAndTheTextAfterThemGetsItsSpace() {
        SentencePieceBpeTokenizer t = byScore();
        assertThat(t.encode("a</s>b", Tokenizer.SpecialTokens.AS_IDS)).containsExactly(SPACE_A, 2, SPACE, B);
        assertThat(t.encode("a</s>b")).doesNotContain(2).startsWith(SPACE_A, 3 + '<');
    }

    @Test
    void bosComesFromTheFileAndDecodingDropsOnlyTheAddedSpace() {
        SentencePieceBpeTokenizer t = byScore();
        assertThat(t.encodeForModel("ab", Tokenizer.SpecialTokens.AS_TEXT)).containsExactly(1, SPACE_AB);
        assertThat(t.decode(new int[] {SPACE_AB})).isEqualTo("ab");
        assertThat(t.decode(new int[] {1, SPACE_AB})).isEqualTo("<s>ab");
        assertThat(t.decode(new int[] {A, SPACE_AB})).isEqualTo("a ab");
        for (String s : new String[] {"ab", " ab", "  a b  ", "é\n\tb", "a</s>b"}) {
            assertThat(t.decode(t.encode(s))).as(s).isEqualTo(s);
        }
    }

    private static final String HF_JSON = """
            {"added_tokens":[{"id":0,"content":"<unk>","special":true},{"id":1,"content":"<s>","special":true},
                             {"id":2,"content":"</s>","special":true}],
             "normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},
                           {"type":"Replace","pattern":{"String":" "},"content":"▁"}]},
             "pre_tokenizer":null,
             "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},
                               {"Sequence":{"id":"A","type_id":0}}]},
             "model":{"type":"BPE","byte_fallback":true,"unk_token":"<unk>",
                      "vocab":{"<unk>":0,"<s>":1,"</s>":2,"<0xC3>":3,"<0xA9>":4,"▁":5,"a":6,"b":7,"▁a":8,"▁ab":9,"ba":10,"ab":11},
                      "merges":["▁ a","a b","▁a b","b a"]}}
            """;

    @Test
    void tokenizerJsonWithByteFallbackMergesByRank(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, HF_JSON, StandardCharsets.UTF_8);
        Tokenizer loaded = Tokenizers.loadAny(dir);
        assertThat(loaded).isInstanceOf(SentencePieceBpeTokenizer.class);
        SentencePieceBpeTokenizer t = (SentencePieceBpeTokenizer) loaded;
        // "▁aba": ▁ a (rank 0), then ▁a b (rank 2) before b a (rank 3); "▁ab a" is no merge
        assertThat(t.encode("aba")).containsExactly(9, 6);
        // é has no token: its bytes; 'x' has neither token nor byte token: <unk>
        assertThat(t.encode("éx")).containsExactly(5, 3, 4, 0);
        assertThat(t.encodeForModel("ab", Tokenizer.SpecialTokens.AS_TEXT)).containsExactly(1, 9);
        assertThat(t.decode(new int[] {1, 9, 6})).isEqualTo("<s>aba");
        assertThatThrownBy(() -> Tokenizers.load(file)).isInstanceOf(TokenizerException.class).hasMessageContaining("loadAny");
    }

    @Test
    void badVocabulariesAreRefusedWithAReason() {
        assertThatThrownBy(() -> new SentencePieceBpeTokenizer(new SentencePieceBpeTokenizer.Spec("v", new String[] {"a"},
                new int[] {NORMAL}, new float[] {0, 1}, null, true, false, -1, -1, -1, false, false)))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("1 tokens but 1 token types and 2 scores");
        assertThatThrownBy(() -> new SentencePieceBpeTokenizer(new SentencePieceBpeTokenizer.Spec("v", new String[] {"<0xZZ>"},
                new int[] {BYTE}, new float[] {0}, null, true, false, -1, -1, -1, false, false)))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("not written <0xNN>");
        SentencePieceBpeTokenizer noBytes = new SentencePieceBpeTokenizer(new SentencePieceBpeTokenizer.Spec("v", new String[] {"▁"},
                new int[] {NORMAL}, new float[] {0}, null, true, false, -1, -1, -1, false, false));
        assertThatThrownBy(() -> noBytes.encode("q")).isInstanceOf(TokenizerException.class).hasMessageContaining("<0x71>");
    }
}
